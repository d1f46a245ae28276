"""Plan per-recipient decoration once: re-encode the parts to decorate and note where header/footer go.

prepare() stores the message with every decorated part in a splice-friendly encoding, plus a layout:
slots (byte offset, what to insert, how to encode it). Delivery then only renders the templates and
joins bytes (app.pipeline.personalise.render_copy).
"""

from __future__ import annotations

import binascii
import codecs
import re
import secrets
from dataclasses import asdict, dataclass
from email.message import Message

from app.mail.mimescan import Part, scan
from app.mail.rawmessage import CRLF, RawMessage
from app.models import MailingList

WRAPPED = ("multipart/signed", "multipart/encrypted")
RAW_CTES = ("8bit", "binary")
SPLICEABLE_CTES = ("7bit", "8bit", "binary", "quoted-printable", "base64", "")
BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
BODY_CLOSE = re.compile(rb"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Slot:
    """Where one rendered template goes: at a byte offset of the prepared message, encoded as told."""

    at: int
    role: str  # "header" or "footer"
    kind: str  # "plain", "html" or "part" (a whole text/plain part of a multipart/mixed wrapper)
    charset: str = "utf-8"
    cte: str = "quoted-printable"
    flowed: bool = False
    newline_before: bool = False
    boundary: str = ""


class Unspliceable(ValueError):
    """This part cannot be decorated inline; the message gets wrapped instead."""


def plan(mlist: MailingList, data: bytes) -> tuple[bytes, list[dict] | None]:
    """The prepared bytes and their decoration layout; no layout when the list has no templates."""
    if not (mlist.header_template.strip() or mlist.footer_template.strip()):
        return data, None
    top = scan(data)
    try:
        targets = _targets(top)
    except Unspliceable:
        targets = []
    if targets:
        try:
            return _inline(data, targets)
        except (Unspliceable, ValueError, TypeError, LookupError):
            pass  # a part we cannot re-encode safely: wrapping always works
    return _wrap(data)


def _targets(top: Part) -> list[tuple[Part, str]]:
    """The parts to decorate inline, with their kind; empty means wrap the whole message."""
    ctype = top.content_type
    if ctype in ("text/plain", "text/html"):
        return [(top, ctype.split("/")[1])]
    if ctype == "multipart/alternative":
        return _alternative(top)
    if ctype.startswith("multipart/") and ctype not in WRAPPED and top.children:
        first = top.children[0]
        if first.content_type in ("text/plain", "text/html", "multipart/alternative"):
            return _targets(first)
    return []


def _alternative(part: Part) -> list[tuple[Part, str]]:
    found: dict[str, Part] = {}
    for child in part.children:
        ctype = child.content_type
        if ctype in ("text/plain", "text/html"):
            found.setdefault(ctype.split("/")[1], child)
        elif (
            ctype == "multipart/related" and child.children and child.children[0].content_type == "text/html"
        ):
            found.setdefault("html", child.children[0])
    return [(found[k], k) for k in ("plain", "html") if k in found]


def _charset(headers: Message) -> str:
    charset = (headers.get_content_charset() or "us-ascii").lower()
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise Unspliceable(f"unknown charset {charset}") from None
    if "utf-16" in name or "utf-32" in name or name.startswith(("utf_16", "utf_32")):
        raise Unspliceable("charset is not ASCII-compatible")
    return "utf-8" if name == "ascii" else charset


def _decoded(data: bytes, part: Part) -> bytes:
    body = data[part.body_start : part.end]
    cte = part.cte
    if cte not in SPLICEABLE_CTES:
        raise Unspliceable(f"transfer encoding {cte}")
    try:
        if cte == "quoted-printable":
            return binascii.a2b_qp(body).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if cte == "base64":
            return binascii.a2b_base64(body).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    except binascii.Error as exc:
        raise Unspliceable(str(exc)) from None
    return body


def _encode_segment(segment: bytes, cte: str) -> bytes:
    """A piece of body text in the part's output encoding, ending where a slot can follow."""
    if cte in RAW_CTES:
        return segment
    encoded = binascii.b2a_qp(segment, istext=True)
    if encoded and not encoded.endswith(CRLF):
        encoded += b"=" + CRLF  # a soft break: the next piece starts a fresh encoded line
    return encoded


def _cuts(decoded: bytes, kind: str) -> tuple[int, int]:
    """Where the header and the footer go in the decoded text of a part."""
    if kind == "plain":
        return 0, len(decoded)
    opening = BODY_OPEN.search(decoded)
    closing = None
    for closing in BODY_CLOSE.finditer(decoded):
        pass
    head = opening.end() if opening else 0
    foot = closing.start() if closing is not None and closing.start() >= head else len(decoded)
    return head, foot


def _part_header(data: bytes, part: Part, charset: str, cte: str) -> bytes:
    """The part's header block with the charset (us-ascii becomes utf-8) and transfer encoding we output."""
    head = RawMessage.parse(data[part.start : part.body_start])
    content_type = Message()
    content_type["Content-Type"] = head.get("Content-Type") or "text/plain"
    if content_type.get_content_charset() not in (None, charset) or content_type.get_param("charset") is None:
        content_type.set_param("charset", charset)
    head.set("Content-Type", " ".join(str(content_type["Content-Type"]).split()))
    head.set("Content-Transfer-Encoding", cte)
    if part.start == 0 and not head.get("MIME-Version"):
        head.append("MIME-Version", "1.0")
    return head.header_bytes()


def _rewrite(data: bytes, part: Part, kind: str, offset: int) -> tuple[bytes, list[Slot]]:
    """The part (its header block included) re-encoded for splicing, and its slots (offset = where it starts)."""
    charset = _charset(part.headers)
    decoded = _decoded(data, part)
    cte = part.cte if part.cte in RAW_CTES else "quoted-printable"
    flowed = str(part.headers.get_param("format") or "").lower() == "flowed"
    head_at, foot_at = _cuts(decoded, kind)
    pieces = [_part_header(data, part, charset, cte), _encode_segment(decoded[:head_at], cte)]
    at_header = offset + len(b"".join(pieces))
    pieces.append(_encode_segment(decoded[head_at:foot_at], cte))
    at_footer = offset + len(b"".join(pieces))
    pieces.append(_encode_segment(decoded[foot_at:], cte) if foot_at < len(decoded) else b"")
    newline = kind == "plain" and bool(decoded) and not decoded.endswith(b"\n")
    slots = [
        Slot(at_header, "header", kind, charset, cte, flowed),
        Slot(at_footer, "footer", kind, charset, cte, flowed, newline_before=newline),
    ]
    return b"".join(pieces), slots


def _inline(data: bytes, targets: list[tuple[Part, str]]) -> tuple[bytes, list[dict]]:
    """Each target part rewritten in place; the bytes between them are kept as they are."""
    out: list[bytes] = []
    slots: list[Slot] = []
    pos = length = 0
    for part, kind in sorted(targets, key=lambda t: t[0].start):
        out.append(data[pos : part.start])
        length += len(out[-1])
        rewritten, part_slots = _rewrite(data, part, kind, length)
        out.append(rewritten)
        length += len(rewritten)
        slots += part_slots
        pos = part.end
    out.append(data[pos:])
    return b"".join(out), [asdict(s) for s in slots]


def _wrap(data: bytes) -> tuple[bytes, list[dict]]:
    """Put the whole body in a multipart/mixed with the header and footer as parts of their own."""
    msg = RawMessage.parse(data)
    inner = [d for n, d in msg.fields if n in ("content-type", "content-transfer-encoding")]
    msg.remove("Content-Type", "Content-Transfer-Encoding", "MIME-Version")
    boundary = "=_mailflow_" + secrets.token_hex(12)
    msg.append("MIME-Version", "1.0")
    msg.append("Content-Type", f'multipart/mixed; boundary="{boundary}"')
    head = msg.header_bytes() + b"This is a multi-part message in MIME format." + CRLF
    delimiter = b"--" + boundary.encode() + CRLF
    inner_head = b"".join(line + CRLF for line in inner) or b"Content-Type: text/plain" + CRLF
    body = delimiter + inner_head + CRLF + msg.body + CRLF
    footer_at = len(head) + len(body)
    tail = b"--" + boundary.encode() + b"--" + CRLF
    slots = [
        Slot(len(head), "header", "part", boundary=boundary),
        Slot(footer_at, "footer", "part", boundary=boundary),
    ]
    return head + body + tail, [asdict(s) for s in slots]
