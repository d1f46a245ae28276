"""A safe look at a held post: headers, text, sanitised HTML without remote content, attachments by name."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import cast

from app.archive.htmlsafe import safe_html
from app.mail.headersafety import MALFORMED_INPUT

MAX_TEXT = 100_000


@dataclass
class Preview:
    """What the moderation page shows of a message."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[tuple[str, str, int]] = field(default_factory=list)  # filename, type, size
    problem: str = ""


def build_preview(raw: bytes) -> Preview:
    """Parse raw bytes leniently; anything unparseable is shown as text, never executed."""
    preview = Preview()
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for name, value in msg.raw_items():
            preview.headers.append((name, _decoded(value)))
        _walk(msg, preview)
    except MALFORMED_INPUT as exc:  # a broken message still gets a preview: the raw text
        preview.problem = f"The message could not be fully parsed ({type(exc).__name__}); showing raw text."
        preview.text = raw[:MAX_TEXT].decode("utf-8", "replace")
    return preview


def _decoded(value: object) -> str:
    try:
        return " ".join(str(value).split())
    except MALFORMED_INPUT:
        return repr(value)


def _walk(msg: EmailMessage, preview: Preview) -> None:
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            size = len(part.get_payload(decode=True) or b"")
            preview.attachments.append((filename or "(no name)", ctype, size))
        elif ctype == "text/plain" and not preview.text:
            preview.text = _content(part)[:MAX_TEXT]
        elif ctype == "text/html" and not preview.html:
            # The archive's sanitiser: no scripts, styles, images or anything else that fetches from elsewhere.
            preview.html = safe_html(_content(part)[:MAX_TEXT])
        else:
            size = len(part.get_payload(decode=True) or b"")
            preview.attachments.append(("(inline)", ctype, size))


def _content(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except MALFORMED_INPUT:
        return cast(bytes, part.get_payload(decode=True) or b"").decode("utf-8", "replace")
