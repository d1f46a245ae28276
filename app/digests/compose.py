"""Build one digest issue's bytes: MIME (RFC 2046 multipart/digest) or plain text (RFC 1153).

Each format is built once per issue with slots (app.pipeline.decorate.Slot) where delivery splices the
list's digest header and footer per recipient, as it does a post's header and footer.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import secrets
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.mail.headersafety import MALFORMED_INPUT, decode, encode
from app.mail.rawmessage import CRLF, RawMessage
from app.models import MailingList
from app.models.timestamps import utcnow
from app.pipeline.decorate import Slot
from app.pipeline.handlers import list_headers, validate_headers

RFC1153_START = "-" * 70  # after the table of contents
RFC1153_BETWEEN = "-" * 30  # between messages
# The fields a post keeps inside a MIME digest (as Mailman's MIME_DIGEST_KEEP_HEADERS): who, when, what and
# how it is encoded. The list's own fields (List-*, Archived-At, Precedence, the VERP envelope's traces) go:
# they are the digest's business, once, at its top, and would only make every digest longer.
MIME_DIGEST_KEEP = frozenset(
    {
        "date",
        "from",
        "to",
        "cc",
        "reply-to",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
        "keywords",
        "summary",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "content-description",
        "content-language",
    }
)


@dataclass(frozen=True)
class Item:
    """One post as a digest shows it: its prepared bytes and what the contents list names."""

    raw: bytes
    subject: str
    author: str
    date: str


@dataclass(frozen=True)
class Built:
    """A digest in one format, ready to store as a post's prepared bytes and layout."""

    data: bytes
    layout: list[dict]
    subject: str
    message_id: str


def item_of(raw: bytes) -> Item:
    """A prepared post with only the fields a digest keeps, and what the table of contents needs from it."""
    raw = digest_part(raw)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        subject, author, date = (decode(msg.get(name, "")) for name in ("Subject", "From", "Date"))
    except MALFORMED_INPUT:
        subject = author = date = ""
    return Item(raw, " ".join(subject.split()) or "(no subject)", " ".join(author.split()), date)


def digest_part(raw: bytes) -> bytes:
    """The post without the header fields a digest leaves out (MIME_DIGEST_KEEP); the body untouched."""
    msg = RawMessage.parse(raw)
    msg.fields = [(name, data) for name, data in msg.fields if name in MIME_DIGEST_KEEP]
    return msg.to_bytes()


def digest_subject(mlist: MailingList, volume: int, number: int) -> str:
    """The subject every copy of an issue carries."""
    return f"{mlist.name} Digest, Vol {volume}, Issue {number}"


def contents(items: list[Item]) -> str:
    """The numbered table of contents."""
    lines = ["Today's Topics:", ""]
    lines += [f"{n:4}. {item.subject} ({item.author})" for n, item in enumerate(items, 1)]
    return "\n".join(lines) + "\n"


def _head(mlist: MailingList, subject: str, message_id: str, content_type: str) -> RawMessage:
    msg = RawMessage()
    msg.append("From", f"{encode(mlist.name, 'From')} <{mlist.role_address('request')}>")
    msg.append("To", mlist.address)
    msg.append("Subject", encode(subject))
    msg.append("Date", format_datetime(utcnow()))
    msg.append("Message-ID", message_id)
    msg.append("MIME-Version", "1.0")
    msg.append("Content-Type", content_type)
    msg.append("Auto-Submitted", "auto-generated")  # RFC 3834: nobody's vacation reply to a digest
    list_headers(mlist, msg)
    validate_headers(mlist, msg)
    return msg


def _qp(text: str) -> bytes:
    data = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", CRLF)  # soft breaks too
    return data if data.endswith(CRLF) else data + b"=" + CRLF


def _slot(at: int, role: str, boundary: str = "") -> dict:
    kind = "part" if boundary else "plain"
    return asdict(Slot(at=at, role=role, kind=kind, boundary=boundary))


def build_mime(mlist: MailingList, volume: int, number: int, items: list[Item]) -> Built:
    """multipart/mixed: the contents (text/plain), a multipart/digest of message/rfc822 posts, the footer."""
    outer, inner = f"=_digest_{secrets.token_hex(12)}", f"=_posts_{secrets.token_hex(12)}"
    subject, message_id = digest_subject(mlist, volume, number), make_msgid(domain=mlist.domain)
    head = _head(mlist, subject, message_id, f'multipart/mixed; boundary="{outer}"').header_bytes()
    toc_head = (
        f"--{outer}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\nContent-Description: Today's Topics\r\n\r\n"
    ).encode()
    body = [head, b"This is a MIME digest: each post is attached as a message.\r\n\r\n", toc_head]
    header_at = sum(map(len, body))
    body += [
        _qp(contents(items)),
        f'\r\n--{outer}\r\nContent-Type: multipart/digest; boundary="{inner}"\r\n\r\n'.encode(),
    ]
    for item in items:
        body += [f"--{inner}\r\nContent-Type: message/rfc822\r\n\r\n".encode(), _ends_in_crlf(item.raw)]
    body.append(f"--{inner}--\r\n".encode())
    footer_at = sum(map(len, body))
    body.append(f"--{outer}--\r\n".encode())
    layout = [_slot(header_at, "digest_header"), _slot(footer_at, "digest_footer", outer)]
    return Built(b"".join(body), layout, subject, message_id)


def build_plain(mlist: MailingList, volume: int, number: int, items: list[Item]) -> Built:
    """RFC 1153: contents, 70 dashes, each post's text headers and body, 30 dashes between, the trailer."""
    subject, message_id = digest_subject(mlist, volume, number), make_msgid(domain=mlist.domain)
    head = _head(mlist, subject, message_id, "text/plain; charset=utf-8")
    head.append("Content-Transfer-Encoding", "quoted-printable")
    parts = [contents(items), RFC1153_START, ""]
    for n, item in enumerate(items, 1):
        parts += [_plain_message(n, item), "", RFC1153_BETWEEN, ""]
    end = f"End of {subject}"
    parts += [end, "*" * len(end), ""]
    header_bytes = head.header_bytes()
    text = _qp("\n".join(parts))
    layout = [
        _slot(len(header_bytes), "digest_header"),
        _slot(len(header_bytes) + len(text), "digest_footer"),
    ]
    return Built(header_bytes + text, layout, subject, message_id)


def _plain_message(n: int, item: Item) -> str:
    lines = [f"Message: {n}", f"Date: {item.date}", f"From: {item.author}", f"Subject: {item.subject}", ""]
    for line in plain_text(item.raw).splitlines():
        # RFC 1153: a body line that looks like a separator would split the message; stuff it.
        lines.append("- " + line if line.startswith(RFC1153_BETWEEN) else line)
    return "\n".join(lines)


def plain_text(raw: bytes) -> str:
    """The post's text/plain body, or a note that it has none (attachments are not carried)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
    except (*MALFORMED_INPUT, AssertionError, KeyError):
        text = ""
    return text.rstrip("\n") if text.strip() else "[This post has no plain-text part; see the MIME digest.]"


def _ends_in_crlf(raw: bytes) -> bytes:
    return raw if raw.endswith(CRLF) else raw + CRLF
