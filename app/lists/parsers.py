"""Parsers for list settings: each turns the raw text a form, the CLI or the API sent into the stored value.

A parser raises ValueError with a message that says what it accepts; the registry adds the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from werkzeug.security import generate_password_hash

from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.templates import template_error
from app.pipeline.rules.shape import suspicious_rules

TextParser = Callable[[str], str]
TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", "n", ""})
MIN_PASSWORD = 8


def one_line(max_length: int, required: bool = False) -> TextParser:
    """Text on one line: runs of whitespace (newlines included) become one space, so no header can break."""

    def parse(raw: str) -> str:
        text = " ".join(raw.split())
        if required and not text:
            raise ValueError("must not be empty")
        if len(text) > max_length:
            raise ValueError(f"at most {max_length} characters")
        return text

    return parse


def lines(max_length: int, check: Callable[[str], None] | None = None) -> TextParser:
    """Multi-line text, stripped at both ends; check raises ValueError for a bad line."""

    def parse(raw: str) -> str:
        text = raw.replace("\r\n", "\n").strip()
        if len(text) > max_length:
            raise ValueError(f"at most {max_length} characters")
        if check is not None:
            check(text)
        return text

    return parse


def choice(values: Iterable[str]) -> TextParser:
    """One of a closed set of words."""
    allowed = tuple(values)

    def parse(raw: str) -> str:
        word = raw.strip().lower()
        if word not in allowed:
            raise ValueError(f"one of {'|'.join(allowed)}, not {raw.strip()[:40]!r}")
        return word

    return parse


def flag(raw: str) -> bool:
    """true|false (yes/no, on/off, 1/0 too)."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"true or false, not {raw.strip()[:40]!r}")


def number(low: int, high: int) -> Callable[[str], int]:
    """A whole number from low to high."""

    def parse(raw: str) -> int:
        text = raw.strip()
        if not text.isdecimal() or not low <= int(text) <= high:
            raise ValueError(f"a whole number from {low} to {high}, not {text[:40]!r}")
        return int(text)

    return parse


def optional_score(low: float, high: float, default_setting: str) -> Callable[[str], float | None]:
    """A score from low to high in steps of 0.5, or empty for the instance's default_setting."""

    def parse(raw: str) -> float | None:
        text = raw.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (low <= value <= high and (value * 2).is_integer()):
            raise ValueError(
                f"a score from {low:g} to {high:g} in steps of 0.5, or empty for MAILFLOW_{default_setting}, "
                f"not {text[:40]!r}"
            )
        return value

    return parse


def optional_date(raw: str) -> date | None:
    """A day as YYYY-MM-DD, or empty for none."""
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"a date as YYYY-MM-DD, or empty, not {text[:40]!r}") from None


def address_or_empty(raw: str) -> str:
    """An e-mail address, normalised, or nothing."""
    text = raw.strip()
    if not text:
        return ""
    try:
        return normalise_address(text)
    except InvalidAddress as exc:
        raise ValueError(f"an e-mail address or nothing: {exc}") from None


def template(raw: str) -> str:
    """A header/footer template that compiles in the sandbox and uses only the known variables."""
    text = raw.replace("\r\n", "\n")
    problem = template_error(text)
    if problem:
        raise ValueError(problem)
    return text


def password_hash(raw: str) -> str:
    """A password of at least 8 characters, stored as its hash; empty removes it."""
    if not raw:
        return ""
    if len(raw) < MIN_PASSWORD:
        raise ValueError(f"a password of at least {MIN_PASSWORD} characters (or nothing, to remove it)")
    return generate_password_hash(raw)


def suspicious_header_lines(text: str) -> None:
    """Each line `Name: regex` (the pipeline's own reader decides)."""
    suspicious_rules(text)


def mime_type_lines(text: str) -> None:
    """Each line a MIME type, type/subtype or type/*."""
    for line in text.splitlines():
        kind = line.strip()
        if kind and (kind.count("/") != 1 or " " in kind):
            raise ValueError(f"{kind!r} is not a MIME type (type/subtype or type/*)")
