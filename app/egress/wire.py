"""Serialise a copy for SMTP: CRLF line ends and no line longer than 998 octets (RFC 5322 2.1.1)."""

from __future__ import annotations

import email
import email.policy
from email import encoders
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO
from typing import cast

CRLF = b"\r\n"
MAX_LINE = 998  # octets, without the CRLF


def _normalise_line_ends(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", CRLF)


def longest_line(data: bytes) -> int:
    """Length of the longest line, CRLF not counted."""
    return max(map(len, data.split(CRLF)), default=0)


def is_clean(data: bytes) -> bool:
    """True when data already has only CRLF line ends and no line over 998 octets."""
    crlf = data.count(CRLF)
    return data.count(b"\n") == crlf == data.count(b"\r") and longest_line(data) <= MAX_LINE


def to_wire(data: bytes) -> bytes:
    """The copy with CRLF line ends; parts with over-long lines are re-encoded (base64) to fit."""
    data = _normalise_line_ends(data)
    if longest_line(data) <= MAX_LINE:
        return data
    return _reencode(data)


def _reencode(data: bytes) -> bytes:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if not part.is_multipart() and _raw_too_long(part):
            _base64(part, cast(bytes, part.get_payload(decode=True) or b""))
    out = BytesIO()
    # compat32 keeps the header text as it is; max_header_len folds only what is over-long.
    BytesGenerator(out, mangle_from_=False, maxheaderlen=MAX_LINE - 20, policy=email.policy.compat32).flatten(
        msg
    )
    wire = _normalise_line_ends(out.getvalue())
    if longest_line(wire) > MAX_LINE:
        raise ValueError("a header line of this message is longer than 998 octets and cannot be folded")
    return wire


def _raw_too_long(part: Message) -> bool:
    raw = part.get_payload(decode=False)
    text = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else cast(bytes, raw or b"")
    return longest_line(_normalise_line_ends(text)) > MAX_LINE


def _base64(part: Message, payload: bytes) -> None:
    del part["Content-Transfer-Encoding"]
    part.set_payload(payload)
    encoders.encode_base64(part)
