"""Address patterns for bans and allowed senders: an exact address, or a regex a person typed (kind says which)."""

from __future__ import annotations

import re
from collections.abc import Iterable

ADDRESS, REGEX = "address", "regex"  # the values of app.models.PatternKind (this floor imports no models)


def kind_of_typed(pattern: str) -> str:
    """What a person means by what they typed: ^... is a regular expression, anything else an address."""
    return REGEX if pattern.strip().startswith("^") else ADDRESS


def pattern_error(pattern: str) -> str | None:
    """Why a typed pattern cannot be saved, or None when it is usable."""
    pattern = pattern.strip()
    if not pattern:
        return "The pattern is empty."
    if kind_of_typed(pattern) == REGEX:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"The regular expression does not compile: {exc}."
    elif "@" not in pattern:
        return "Write a whole address, or a regular expression starting with ^."
    return None


def matches(pattern: str, address: str, kind: str = ADDRESS) -> bool:
    """True when address is the pattern's address or, for a regex entry only, matches it (case-insensitive)."""
    pattern, address = pattern.strip(), address.strip().lower()
    if not address:
        return False
    if kind == REGEX:
        try:
            return re.match(pattern, address, re.IGNORECASE) is not None
        except re.error:  # a bad regex stored before validation existed matches nothing
            return False
    return pattern.lower() == address


def any_match(entries: Iterable[tuple[str, str]], addresses: Iterable[str]) -> str | None:
    """The first (pattern, kind) entry that matches one of the addresses, or None."""
    wanted = [a for a in addresses if a]
    return next((p for p, kind in entries for a in wanted if matches(p, a, kind)), None)
