"""What the archive indexes about a message, derived from its raw bytes alone (so it can be rebuilt)."""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from app.archive import mime
from app.archive.htmlsafe import html_text
from app.archive.permalinks import ANGLED, normalise_message_id
from app.archive.text import clean_text, one_line
from app.mail.authors import parse_mailbox
from app.mail.headersafety import decode
from app.mail.rawmessage import RawMessage

MAX_BODY_TEXT = 100_000  # characters indexed for search (PostgreSQL refuses a tsvector over 1 MB)
MAX_REFS = 50
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|fw|fwd|wg|antw|réf|ref)\s*(?:\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)+", re.I
)
REPLY_MARK = re.compile(
    r"^\s*(?:\[[^\]]{1,40}\]\s*)*(?:re|aw|sv|fw|fwd|wg|antw|réf|ref)\s*(?:\[\d+\])?\s*:", re.I
)
SYNTHETIC_DOMAIN = "archive.invalid"


@dataclass(frozen=True)
class Summary:
    """The derived columns of one archived message."""

    message_id: str
    subject: str
    subject_norm: str
    is_reply: bool
    author_name: str
    author_address: str
    date: datetime | None
    refs: list[str]
    body_text: str
    attachments: int

    @property
    def author(self) -> str:
        if self.author_name and self.author_address:
            return f"{self.author_name} <{self.author_address}>"
        return self.author_name or self.author_address


def header_text(msg: RawMessage, name: str) -> str:
    """A header field as display text: 8-bit bytes as UTF-8 (else Windows-1252), encoded words decoded."""
    for field_name, data in msg.fields:
        if field_name == name.lower():
            value = data.split(b":", 1)[1].replace(b"\r\n", b" ")
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("cp1252", "replace")
            return clean_text(decode(text))
    return ""


def normalised_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and [list] tags, lower case: what thread-by-subject compares."""
    return one_line(REPLY_PREFIX.sub("", subject)).lower()[:255]


def is_reply(subject: str) -> bool:
    """True when the subject says it answers or forwards another message (Re:, Fwd:, AW:, ...)."""
    return REPLY_MARK.match(subject) is not None


def parse_date(value: str, now: datetime | None = None) -> datetime | None:
    """The Date field as UTC, or None when it is missing, malformed or absurd (before 1970, in the future)."""
    try:
        date = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if date is None:
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    try:
        date = date.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    latest = (now or datetime.now(UTC)) + timedelta(days=2)
    return date if EARLIEST <= date <= latest else None


def references(msg: RawMessage) -> list[str]:
    """In-Reply-To then References, nearest ancestor first, without duplicates."""
    found = ANGLED.findall(" ".join(msg.get_all("In-Reply-To")))
    found += reversed(ANGLED.findall(" ".join(msg.get_all("References"))))
    unique = list(dict.fromkeys(clean_text(ref) for ref in found))
    return [ref for ref in unique if ref][:MAX_REFS]


def body_text(parsed) -> tuple[str, int]:
    """The searchable text (the plain parts, else the HTML parts' words) and the number of attachments."""
    leaves = mime.leaves(parsed)
    plain = [
        mime.part_text(leaf.part)
        for leaf in leaves
        if not leaf.is_attachment and leaf.content_type == "text/plain"
    ]
    if not plain:
        plain = [html_text(mime.part_text(leaf.part)) for leaf in leaves if not leaf.is_attachment]
    attachments = sum(1 for leaf in leaves if leaf.is_attachment)
    return clean_text("\n".join(plain), MAX_BODY_TEXT), attachments


CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:+-]{1,40})", re.I)


def simple_text(head: RawMessage) -> str | None:
    """The body of a single-part text/plain message without the MIME parser (most list mail); else None."""
    ctype = " ".join((head.get("Content-Type") or "text/plain").split()).lower()
    cte = (head.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if not ctype.startswith("text/plain") or cte not in ("7bit", "8bit", "binary", "quoted-printable"):
        return None
    data = binascii.a2b_qp(head.body) if cte == "quoted-printable" else head.body
    found = CHARSET.search(ctype)
    for codec in ([found.group(1)] if found else []) + ["utf-8"]:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


def synthetic_message_id(raw: bytes) -> str:
    """A Message-ID for a message without one, derived from its bytes (the same on every import)."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@{SYNTHETIC_DOMAIN}"


def summarise(raw: bytes, head: RawMessage | None = None) -> Summary:
    """Everything the archive derives from a message (head: raw already parsed); any bytes give a summary."""
    head = head or RawMessage.parse(raw)
    subject = one_line(header_text(head, "Subject"), 2000)
    author = parse_mailbox(" ".join(header_text(head, "From").split()) or None)
    name = author.name if author else header_text(head, "From")
    try:
        simple = simple_text(head)
        text, attachments = (
            (clean_text(simple, MAX_BODY_TEXT), 0) if simple is not None else body_text(mime.parse(raw))
        )
    except Exception:  # the parser gave up on this structure: index the undecoded body instead
        text, attachments = clean_text(head.body.decode("utf-8", "replace"), MAX_BODY_TEXT), 0
    return Summary(
        message_id=normalise_message_id(header_text(head, "Message-ID")) or synthetic_message_id(raw),
        subject=subject,
        subject_norm=normalised_subject(subject),
        is_reply=is_reply(subject),
        author_name=one_line(name),
        author_address=author.address[:320] if author else "",
        date=parse_date(header_text(head, "Date")),
        refs=references(head),
        body_text=text,
        attachments=attachments,
    )
