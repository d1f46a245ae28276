"""The attachments of a message by name, type and size, read from its MIME structure without decoding them."""

from __future__ import annotations

from dataclasses import dataclass

from app.mail.mimescan import Part, scan

BODY_TYPES = ("text/plain", "text/html")
BASE64_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class Attachment:
    """One attached part: its file name (or a description), MIME type and decoded size in bytes."""

    name: str
    content_type: str
    size: int


def attachments(raw: bytes, tree: Part | None = None) -> list[Attachment]:
    """Every leaf part that is not the message's text or HTML body; sizes are of the decoded content.

    tree is scan(raw) when the caller has it already.
    """
    found = []
    for part in (tree or scan(raw)).walk():
        if part.children or part.headers.get_content_maintype() == "multipart":
            continue
        name = _filename(part)
        inline_body = part.content_type in BODY_TYPES and not name and not _is_attachment(part)
        if inline_body:
            continue
        found.append(Attachment(name or "(no name)", part.content_type, decoded_size(raw, part)))
    return found


def _filename(part: Part) -> str:
    try:
        return str(part.headers.get_filename() or "")
    except (LookupError, ValueError):  # a malformed RFC 2231 parameter names no file
        return ""


def _is_attachment(part: Part) -> bool:
    return str(part.headers.get("Content-Disposition", "")).strip().lower().startswith("attachment")


def decoded_size(raw: bytes, part: Part) -> int:
    """The size of the part's content once decoded: base64 counted exactly, anything else as stored."""
    body = raw[part.body_start : part.end]
    if part.cte != "base64":
        return len(body)
    letters = len(body) - sum(body.count(c) for c in BASE64_WHITESPACE)
    padding = body.rstrip(BASE64_WHITESPACE)[-2:].count(b"=")
    return max(0, letters * 3 // 4 - padding)
