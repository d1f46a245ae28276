"""Header values made safe: RFC 2047 decoded, then CR, LF and NUL removed (CVE-2024-6923)."""

from __future__ import annotations

import email.errors
import re
from email.header import Header, decode_header, make_header

# What the standard library's mail parsers raise on broken or hostile input (unknown charsets, bad encoded
# words, malformed addresses or MIME; UnicodeError and KeyError included). Anything else is a bug of ours:
# it must surface, not pass for a bad message.
MALFORMED_INPUT = (ValueError, LookupError, IndexError, email.errors.MessageError)
UNSAFE = re.compile(r"[\r\n\x00]")
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def clean(text: str) -> str:
    """Text with CR, LF and NUL replaced by spaces and runs of whitespace collapsed."""
    return " ".join(UNSAFE.sub(" ", text).split())


def decode(value: str | None) -> str:
    """A header value as display text: encoded words decoded, never raising, never multi-line."""
    if not value:
        return ""
    if not ENCODED_WORD.search(value):
        return clean(value)
    try:
        text = str(make_header(decode_header(value)))
    except MALFORMED_INPUT:  # unknown charset or broken encoded word: decode what we can, chunk by chunk
        text = _lenient(value)
    return clean(text)


def _lenient(value: str) -> str:
    try:
        chunks = decode_header(value)
    except MALFORMED_INPUT:
        return value
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(charset or "ascii", "replace"))
        except LookupError:
            out.append(chunk.decode("utf-8", "replace"))
    return "".join(out)


def encode(text: str, name: str = "Subject") -> str:
    """Text as a header value: plain when ASCII, else RFC 2047 encoded words folded with CRLF SP."""
    text = clean(text)
    if text.isascii():
        return text
    return Header(text, "utf-8", header_name=name).encode(linesep="\r\n")


ENCODED_WORD_BYTES = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _defuse_word(match: re.Match[bytes]) -> bytes:
    word = match.group().decode("ascii", "replace")
    try:
        text = str(make_header(decode_header(word)))
    except MALFORMED_INPUT:
        text = _lenient(word)
    if not UNSAFE.search(text):
        return match.group()
    text = clean(text)
    return Header(text, "utf-8").encode(linesep="\r\n").encode("ascii") if text else b""


def defuse_field(data: bytes) -> bytes:
    """A raw header field with NUL removed and every encoded word that decodes to CR/LF/NUL re-encoded clean."""
    data = data.replace(b"\x00", b"")
    if b"=?" not in data:
        return data
    return ENCODED_WORD_BYTES.sub(_defuse_word, data)
