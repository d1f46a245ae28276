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


SETTING = "MAILFLOW_ALLOWED_SPECIAL_DOMAINS"
BAD_DOMAIN = "the part after the @-sign is not a valid domain name"
_SUFFIX = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


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


def domain_suffixes(text: str) -> tuple[str, ...]:
    """The comma-separated suffixes of an allow-list, lower-case, leading dots dropped; raises ValueError."""
    suffixes = tuple(part.strip().lstrip(".").lower() for part in text.split(",") if part.strip())
    bad = [s for s in suffixes if not _SUFFIX.fullmatch(s)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a domain suffix (write e.g. local,home.arpa,corp.internal)")
    return suffixes


def allowed_special_suffixes() -> tuple[str, ...]:
    """The special-use suffixes this instance allows (empty outside an app, or when none are set)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return ()
    return tuple(s for s in current_app.config["MAILFLOW"].ALLOWED_SPECIAL_DOMAINS.split(",") if s)


def _on_suffix(domain: str, suffixes: tuple[str, ...]) -> str:
    """The suffix of suffixes that domain is or ends in ('' when none)."""
    return next((s for s in suffixes if domain == s or domain.endswith("." + s)), "")


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
    local, _, domain = candidate.rpartition("@")
    allowed = _on_suffix(domain.lower().rstrip("."), allowed_special_suffixes()) if local else ""
    if allowed:
        return _intranet_address(candidate, local, domain.lower().rstrip("."))
    try:
        result = validate_email(
            candidate,
            check_deliverability=False,
            allow_smtputf8=True,
            globally_deliverable=True,
            test_environment=False,
        )
    except EmailNotValidError as exc:
        hint = _setting_hint(domain)
        raise InvalidAddress(f"{candidate!r}: {exc}{hint}", candidate, f"{exc}{hint}") from None
    return (result.ascii_email or result.normalized).lower()


def _setting_hint(domain: str) -> str:
    """For a special-use domain, the setting that allows it."""
    special = _on_suffix(domain.lower().rstrip("."), tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES))
    if not special:
        return ""
    special = (
        ".".join(domain.lower().rstrip(".").split(".")[-2:]) if special == "arpa" else special
    )  # home.arpa
    return f" An operator can allow it for an intranet with {SETTING} (for example {SETTING}={special})."


def _intranet_address(candidate: str, local: str, domain: str) -> str:
    """An address on an allowed special-use domain: the local part checked as usual, the domain as LDH labels."""
    try:
        checked = validate_email(f"{local}@example.com", check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"{candidate!r}: {exc}", candidate, str(exc)) from None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidAddress(f"{candidate!r}: {BAD_DOMAIN}", candidate, BAD_DOMAIN) from None
    if not _SUFFIX.fullmatch(ascii_domain) or len(ascii_domain) > 253:
        raise InvalidAddress(f"{candidate!r}: {BAD_DOMAIN}", candidate, BAD_DOMAIN)
    return f"{checked.local_part}@{ascii_domain}".lower()
