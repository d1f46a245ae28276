"""Credentials out of messages and log lines: URL passwords and password= parameters become ***."""

from __future__ import annotations

import logging
import re

MASK = "***"
# [scheme://]user:secret@host, malformed too: the secret runs to the last @ of the word (over-redacting is safe).
_URL_CREDENTIALS = re.compile(
    r"(?P<prefix>(?:[A-Za-z][A-Za-z0-9+.\-]*:/+)?[^\s:/@'\"<>(),;]*):(?P<secret>[^\s'\"]*)@"
)
_PASSWORD_PARAMETER = re.compile(r"(?P<key>(?:password|passwd|pwd)=)[^&\s'\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """Return text with every URL's user info and every password=... parameter replaced by ***."""
    text = _URL_CREDENTIALS.sub(_mask_userinfo, text)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['key']}{MASK}", text)


def _mask_userinfo(match: re.Match[str]) -> str:
    if match["prefix"].lower() == "mailto":  # mailto:someone@host is an address, not a credential
        return match[0]
    return f"{match['prefix']}:{MASK}@"


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a log record's message and traceback in place (the formatters then use the cached text)."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed call is reported by the handler, as logging always does
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install_log_redaction() -> None:
    """Redact every log record of this process when it is created, whichever handler writes it (once)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def redacting_factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    redacting_factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
