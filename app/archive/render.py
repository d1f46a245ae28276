"""A stored message as a page shows it: headers decoded, text as text, HTML sanitised, attachments listed."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from app.archive import mime
from app.archive.attachments import safe_filename
from app.archive.htmlsafe import safe_html
from app.archive.summary import header_text
from app.archive.text import Block, blocks, clean_text, obfuscate
from app.mail.rawmessage import RawMessage

MAX_TEXT = 500_000  # characters of one part shown; the rest is in the raw message
SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject")


@dataclass(frozen=True)
class AttachmentInfo:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class Shown:
    headers: list[tuple[str, str]]
    texts: list[list[Block]] = field(default_factory=list)
    html: list[Markup] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    truncated: bool = False


def _hide(text: str, hide: bool) -> str:
    return obfuscate(text) if hide else text


def _body(shown: Shown, leaves: list[mime.Leaf], hide: bool) -> None:
    has_plain = any(not leaf.is_attachment and leaf.content_type == "text/plain" for leaf in leaves)
    for leaf in leaves:
        if leaf.is_attachment:
            size = len(mime.payload_bytes(leaf.part))
            name = safe_filename(leaf.filename, leaf.index, leaf.content_type)
            shown.attachments.append(AttachmentInfo(leaf.index, name, leaf.content_type, size))
            continue
        text = clean_text(mime.part_text(leaf.part))
        if len(text) > MAX_TEXT:
            text, shown.truncated = text[:MAX_TEXT], True
        if leaf.content_type == "text/plain":
            shown.texts.append(blocks(_hide(text, hide)))
        elif not has_plain:
            shown.html.append(Markup(_hide(safe_html(text), hide)))  # noqa: S704 (sanitised by nh3)


def show(raw: bytes, hide_addresses: bool) -> Shown:
    """What the message page shows; any bytes give a page, never an exception."""
    head = RawMessage.parse(raw)
    headers = [(name, _hide(header_text(head, name), hide_addresses)) for name in SHOWN_HEADERS]
    shown = Shown(headers=[(name, value) for name, value in headers if value])
    try:
        _body(shown, mime.leaves(mime.parse(raw)), hide_addresses)
    except Exception:  # a structure the parser cannot take apart: show the body bytes as text
        shown.texts = [
            blocks(_hide(clean_text(head.body.decode("utf-8", "replace"))[:MAX_TEXT], hide_addresses))
        ]
    return shown
