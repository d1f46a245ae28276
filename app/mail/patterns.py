"""Address patterns as owners write them: an exact address, or a ^regex (bans, allowed senders)."""

from __future__ import annotations

import re
from collections.abc import Iterable


def pattern_error(pattern: str) -> str | None:
    """Why a pattern cannot be saved, or None when it is usable."""
    pattern = pattern.strip()
    if not pattern:
        return "The pattern is empty."
    if pattern.startswith("^"):
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"The regular expression does not compile: {exc}."
    elif "@" not in pattern:
        return "Write a whole address, or a regular expression starting with ^."
    return None


def matches(pattern: str, address: str) -> bool:
    """True when address is the pattern's address, or matches its ^regex (case-insensitive)."""
    pattern, address = pattern.strip(), address.strip().lower()
    if not address:
        return False
    if pattern.startswith("^"):
        return re.match(pattern, address, re.IGNORECASE) is not None
    return pattern.lower() == address


def any_match(patterns: Iterable[str], addresses: Iterable[str]) -> str | None:
    """The first pattern that matches one of the addresses, or None."""
    wanted = [a for a in addresses if a]
    return next((p for p in patterns for a in wanted if matches(p, a)), None)
