"""Strict parsing and normalisation of member addresses."""

from __future__ import annotations

import re

import email_validator
from email_validator import EmailNotValidError, validate_email

# The plain ASCII shape that email-validator accepts unchanged (up to case): a dot-atom local part (RFC 5322
# 3.2.3, its DOT_ATOM_TEXT), LDH labels of at most 63 characters, a top-level label of letters only.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
MAX_LENGTH = 254  # RFC 5321 4.5.3.1.3, as email-validator counts it
# Not plain: Punycode and other "--" labels, and special-use names (email-validator's list) and their subdomains.
UNUSUAL_DOMAIN = re.compile(
    r"--|[@.](?:%s)\Z" % "|".join(map(re.escape, email_validator.SPECIAL_USE_DOMAIN_NAMES)), re.IGNORECASE
)  # searched from the @-sign


class InvalidAddress(ValueError):
    """Not a usable email address; the message says why."""

    def __init__(self, message: str, candidate: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.candidate = candidate
        self.reason = reason or message

    def reason_in_words(self) -> str:
        """Why the address is unusable, as a sentence without Python's quoting (for a report beside it)."""
        reason = re.sub(r"'([^']*)'", "“\\1”", self.reason)
        return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")

    def in_words(self) -> str:
        """The problem as a sentence for people, naming the address."""
        if not self.candidate:
            return self.reason_in_words()
        return f"{self.candidate} is not a usable address. {self.reason_in_words()}"


def normalise_address(text: str) -> str:
    """A member address in its canonical form (lower-case, ASCII domain); raises InvalidAddress."""
    candidate = text.strip()
    if not candidate:
        raise InvalidAddress("empty address")
    if is_plain(candidate):
        return candidate.lower()
    return validated_address(candidate)


def is_plain(candidate: str) -> bool:
    """True when email-validator would accept candidate as it is (the fast path; anything else goes to it)."""
    if len(candidate) > MAX_LENGTH or not PLAIN.fullmatch(candidate):
        return False
    return not UNUSUAL_DOMAIN.search(candidate, candidate.rindex("@"))


def validated_address(candidate: str) -> str:
    """The full email-validator check (Unicode, IDNA, every error message); raises InvalidAddress."""
    try:
        result = validate_email(
            candidate,
            check_deliverability=False,
            allow_smtputf8=True,
            globally_deliverable=True,
            test_environment=False,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{candidate!r}: {exc}", candidate, str(exc)) from None
    return (result.ascii_email or result.normalized).lower()
