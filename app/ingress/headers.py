"""Read the few header fields a post row shows, without ever failing on a malformed message."""

from __future__ import annotations

import email.policy
from email.parser import BytesHeaderParser

MAX_FIELD = 998


def wire_text(value: object) -> str:
    """Text from the wire as valid Unicode: parsers keep undecodable bytes as surrogates, which no database
    or reply can encode; valid UTF-8 is restored, anything else becomes U+FFFD."""
    return str(value or "").encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _clean(value: object) -> str:
    text = wire_text(value)
    return " ".join(text.replace("\x00", "").split())[:MAX_FIELD]


def summary(raw: bytes) -> dict[str, str]:
    """Message-ID, author address and subject, as display text; empty strings where unreadable."""
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    except Exception:  # a message we cannot even split into headers is still stored
        return {"message_id": "", "sender": "", "subject": ""}
    return {
        "message_id": _field(headers, "Message-ID"),
        "sender": _author(headers),
        "subject": _field(headers, "Subject"),
    }


def _field(headers, name: str) -> str:
    try:
        return _clean(headers.get(name, ""))
    except Exception:
        return ""


def _author(headers) -> str:
    try:
        value = headers.get("From")
        addresses = getattr(value, "addresses", ()) if value is not None else ()
        return _clean(addresses[0].addr_spec) if len(addresses) == 1 else ""
    except Exception:
        return ""
