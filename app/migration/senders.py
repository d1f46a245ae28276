"""Addresses and sender patterns from another list manager, validated the way our own forms validate them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.patterns import pattern_error
from app.migration.plan import ListPlan, RulePlan


def normalised(value: str, plan: ListPlan, label: str = "address") -> str | None:
    """The address normalised, or None with a report line."""
    try:
        return normalise_address(value)
    except InvalidAddress as exc:
        plan.note(f"{label}: {value!r} skipped: {exc}")
        return None


def sender_patterns(
    values: Iterable[Any] | None, label: str, plan: ListPlan, text: Callable[[Any], str]
) -> list[str]:
    """Valid exact addresses (normalised) and ^regexes, without repeats; the rest reported."""
    found: list[str] = []
    for raw in values or []:
        value = text(raw).strip()
        if value.startswith("@"):
            plan.note(f"{label}: {value} refers to another list's members, which is not supported here")
            continue
        if not value.startswith("^"):
            value = normalised(value, plan, label) or ""
        if not value:
            continue  # normalised() reported it
        problem = pattern_error(value)
        if problem:
            plan.note(f"{label}: {value!r} dropped: {problem}")
            continue
        if value not in found:
            found.append(value)
    return found


def nonmember_rule(pattern: str, action: str, source: str) -> RulePlan:
    """A sender filter rule for an address or ^pattern that a list held, rejected or discarded."""
    regex = pattern if pattern.startswith("^") else f"^{re.escape(pattern)}$"
    return RulePlan("sender", regex, action, reason=f"Imported from {source} {action}_these_nonmembers.")


def header_rule(header: str, pattern: str, action: str, plan: ListPlan, source: str) -> RulePlan | None:
    """A header filter rule, or None (reported) when the header name or the regex is unusable."""
    header = header.strip().lstrip("^").replace("\\", "")
    if not re.fullmatch(r"[!-9;-~]+", header):
        plan.note(f"header filter {header!r}: {pattern!r} names no usable header; left out")
        return None
    try:
        re.compile(pattern or ".*")
    except re.error:
        plan.note(f"header filter {header}: {pattern!r} is not a valid regular expression; left out")
        return None
    return RulePlan("header", pattern or ".*", action, header=header, reason=f"Imported from {source}.")
