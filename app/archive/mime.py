"""A stored message as parts to show or download: tolerant of any bytes, never raising."""

from __future__ import annotations

import codecs
import email
import email.message
from dataclasses import dataclass
from email.policy import compat32

TEXT_TYPES = ("text/plain", "text/html")
MAX_PARTS = 500  # a message with more leaves shows the first ones; the raw message keeps the rest


@dataclass(frozen=True)
class Leaf:
    """One non-multipart part, numbered in walk order (the number is stable for the same bytes)."""

    index: int
    part: email.message.Message
    content_type: str
    filename: str
    is_attachment: bool


def parse(raw: bytes) -> email.message.Message:
    """The message parsed leniently (compat32 records defects instead of raising)."""
    return email.message_from_bytes(raw, policy=compat32)


def _filename(part: email.message.Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # broken RFC 2231 parameters
        name = ""
    return name if isinstance(name, str) else ""


def _disposition(part: email.message.Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def leaves(msg: email.message.Message) -> list[Leaf]:
    """Every leaf part; inline text/plain and text/html are body, everything else an attachment."""
    out: list[Leaf] = []
    try:
        for part in msg.walk():
            if part.is_multipart():
                continue
            ctype = part.get_content_type().lower()
            name = _filename(part)
            attached = _disposition(part) == "attachment" or bool(name) or ctype not in TEXT_TYPES
            out.append(Leaf(len(out), part, ctype, name, attached))
            if len(out) >= MAX_PARTS:
                break
    except RecursionError:
        pass  # absurd nesting: what was found so far is shown
    return out


def payload_bytes(part: email.message.Message) -> bytes:
    """The part's decoded content (base64/quoted-printable undone); empty when there is none."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "replace") if isinstance(payload, str) else b""


def _codec(part: email.message.Message) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def part_text(part: email.message.Message) -> str:
    """The part's text: its declared charset, else UTF-8, else Windows-1252; never raises."""
    data = payload_bytes(part)
    codec = _codec(part)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
