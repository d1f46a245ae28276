"""Read the few header fields a post row shows, without ever failing on a malformed message."""

from __future__ import annotations

import email.policy
import logging
import re
from email.parser import BytesHeaderParser
from typing import Any

from app.mail.headersafety import MALFORMED_INPUT

log = logging.getLogger(__name__)

MAX_FIELD = 998


def wire_text(value: object) -> str:
    """Text from the wire as valid Unicode: parsers keep undecodable bytes as surrogates, which no database
    or reply can encode; valid UTF-8 is restored, anything else becomes U+FFFD."""
    return str(value or "").encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _clean(value: object) -> str:
    text = wire_text(value)
    return " ".join(text.replace("\x00", "").split())[:MAX_FIELD]


# The plain forms almost every message uses, read without the header registry's full parser (~4x slower);
# anything else - folded, encoded, quoted, commented, non-ASCII - goes through the registry as before.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_PLAIN_FROM = re.compile(
    rf"[ \t]*(?:(?:{_ATEXT}|[ \t])*<(?P<angle>{_DOT_ATOM}@{_DOT_ATOM})>|(?P<bare>{_DOT_ATOM}@{_DOT_ATOM}))[ \t]*"
)
_PLAIN_ID = re.compile(rf"[ \t]*<{_DOT_ATOM}@{_DOT_ATOM}>[ \t]*")
_PLAIN_TEXT = re.compile(r"[ -~\t]*")


def summary(raw: bytes) -> dict[str, str]:
    """Message-ID, author address and subject, as display text; empty strings where unreadable."""
    try:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    except MALFORMED_INPUT:  # a message we cannot even split into headers is still stored
        return {"message_id": "", "sender": "", "subject": ""}
    return {
        "message_id": _field(headers, "Message-ID", _PLAIN_ID),
        "sender": _author(headers),
        "subject": _field(headers, "Subject", _PLAIN_TEXT),
    }


def _parsed(name: str, value: str):
    """The header registry's reading of one field, unfolded as policy.default does before parsing."""
    return email.policy.default.header_factory(name, value.replace("\r", "").replace("\n", ""))


def _first(headers, name: str) -> str | None:
    """The first field's value as stored (compat32 would wrap one with 8-bit bytes in a Header object)."""
    wanted = name.lower()
    return next((value for key, value in headers.raw_items() if key.lower() == wanted), None)


def _field(headers, name: str, plain: re.Pattern) -> str:
    try:
        value = _first(headers, name)
        if value is None:
            return ""
        if plain.fullmatch(value) and "=?" not in value:
            return _clean(value)
        return _clean(_parsed(name, value))
    except MALFORMED_INPUT:
        return ""
    except Exception:  # the stdlib header parser has crashed on odd input before: store the mail, say so
        log.warning("%s field not summarised; the message is stored all the same", name, exc_info=True)
        return ""


def _author(headers) -> str:
    try:
        value = _first(headers, "From")
        if value is None:
            return ""
        match = _PLAIN_FROM.fullmatch(value)
        if match:
            return _clean(match["angle"] or match["bare"])
        addresses: tuple[Any, ...] = getattr(_parsed("From", value), "addresses", ())
        return _clean(addresses[0].addr_spec) if len(addresses) == 1 else ""
    except MALFORMED_INPUT:
        return ""
    except Exception:  # the stdlib header parser has crashed on odd input before: store the mail, say so
        log.warning("From field not summarised; the message is stored all the same", exc_info=True)
        return ""
