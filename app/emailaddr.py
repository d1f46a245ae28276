"""Strict parsing and normalisation of member addresses."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not a usable email address; the message says why."""


def normalise_address(text: str) -> str:
    """A member address in its canonical form (lower-case, ASCII domain); raises InvalidAddress."""
    candidate = text.strip()
    if not candidate:
        raise InvalidAddress("empty address")
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{candidate!r}: {exc}") from None
    return (result.ascii_email or result.normalized).lower()
