"""A registry of settings: each key has one parser, and every door (panel, CLI, API) goes through it.

List settings (app/lists/settings.py) and member settings (app/membership/member_settings.py) are two
registries of this shape.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

CrossCheck = Callable[[Mapping[str, object]], "tuple[str, str] | None"]


class Kind(enum.StrEnum):
    """How a setting is entered: the panel picks its form field by this."""

    TEXT = "text"
    LINES = "lines"
    CHOICE = "choice"
    FLAG = "flag"
    NUMBER = "number"
    SECRET = "secret"  # write-only: shown as whether it is set, never its value


def _same(value: object) -> object:
    return value


@dataclass(frozen=True)
class Setting:
    """One key: its panel group and label, its parser (raw text -> stored value), the column it fills."""

    key: str
    group: str
    label: str
    parse: Callable[[str], object]
    kind: Kind = Kind.TEXT
    choices: tuple[tuple[str, str], ...] = ()
    column: str = ""  # the model attribute; the key when empty
    show: Callable[[object], object] = _same  # stored value -> the JSON value shown

    @property
    def attribute(self) -> str:
        return self.column or self.key

    def shown(self, target: object) -> object:
        """The JSON value of this setting on target (for a secret: whether one is set)."""
        value = getattr(target, self.attribute)
        return bool(value) if self.kind is Kind.SECRET else self.show(value)


class SettingsError(ValueError):
    """Settings that cannot be saved: problems maps each bad key to what it accepts."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in problems.items()))

    @property
    def first(self) -> str:
        """One line naming the first bad key."""
        key, problem = next(iter(self.problems.items()))
        return f"{key}: {problem}"


class Registry:
    """An ordered set of settings with the checks that span several of them."""

    def __init__(self, settings: tuple[Setting, ...], cross_checks: tuple[CrossCheck, ...] = ()) -> None:
        self.settings = settings
        self.by_key = {s.key: s for s in settings}
        self.cross_checks = cross_checks

    def show(self, target: object) -> dict[str, object]:
        """Every setting of target by key, JSON-able."""
        return {s.key: s.shown(target) for s in self.settings}

    def parse(self, target: object, raw: Mapping[str, str]) -> dict[str, object]:
        """Stored values for raw {key: text}, all checked; raises SettingsError naming every bad key."""
        problems: dict[str, str] = {}
        parsed: dict[str, object] = {}
        for key, text in raw.items():
            setting = self.by_key.get(key)
            if setting is None:
                problems[key] = f"unknown key (known: {', '.join(self.by_key)})"
                continue
            try:
                parsed[key] = setting.parse(text)
            except ValueError as exc:
                problems[key] = str(exc)
        after = {s.key: parsed.get(s.key, getattr(target, s.attribute)) for s in self.settings}
        for check in self.cross_checks:
            found = check(after)
            if found:
                problems.setdefault(*found)
        if problems:
            raise SettingsError(problems)
        return parsed

    def apply(self, target: object, raw: Mapping[str, str]) -> list[str]:
        """Check every key, then set the values on target; returns the keys whose value changed."""
        changed = []
        for key, value in self.parse(target, raw).items():
            attribute = self.by_key[key].attribute
            if getattr(target, attribute) != value:
                setattr(target, attribute, value)
                changed.append(key)
        return changed
