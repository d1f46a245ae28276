"""Per-recipient bytes: List-Unsubscribe in front, header/footer spliced into the prepared message."""

from __future__ import annotations

import binascii
import html
import re
from dataclasses import dataclass
from typing import Protocol

from app.egress.wire import is_clean
from app.extensions import db
from app.mail import templates
from app.mail.rawmessage import CRLF, header_line
from app.mail.tokens import TokenPurpose, manage_url, public_url, sign
from app.models import MailingList, Member, Post

URL = re.compile(r"https?://[^\s<>&\"']+")
# A slot's role names the list's template spliced there (digests have their own header and footer).
TEMPLATE_COLUMNS = {
    "header": "header_template",
    "footer": "footer_template",
    "digest_header": "digest_header_template",
    "digest_footer": "digest_footer_template",
}


class CopyFor(Protocol):
    """What building a copy needs of its delivery: a Delivery row, or a copy the fan-out has just claimed."""

    @property
    def id(self) -> int: ...

    @property
    def member_id(self) -> int: ...

    @property
    def recipient(self) -> str: ...


def unsubscribe_url(member_id: int) -> str:
    """The signed one-click unsubscribe link for a member."""
    return public_url("/unsubscribe/" + sign(TokenPurpose.UNSUBSCRIBE, member_id))


def personal_headers(mlist: MailingList, delivery: CopyFor, url: str | None = None) -> bytes:
    """List-Unsubscribe (https and mailto) for this recipient, as header bytes."""
    url = url or unsubscribe_url(delivery.member_id)
    return header_line("List-Unsubscribe", f"<{url}>, <mailto:{mlist.role_address('leave')}>") + CRLF


def template_values(
    mlist: MailingList, delivery: CopyFor, url: str, needed: frozenset[str]
) -> dict[str, str]:
    """What a header/footer template may use; the member row is loaded only when its name is used."""
    values = {
        "list_name": mlist.name,
        "list_address": mlist.address,
        "list_description": mlist.description,
        "member_email": delivery.recipient,
        "unsubscribe_url": url,
        "member_name": "",
        "manage_url": "",
    }
    member = db.session.get(Member, delivery.member_id) if "member_name" in needed else None
    if member is not None:
        values["member_name"] = " ".join(member.name.split())  # one line: no MIME games in a name
    if "manage_url" in needed:
        values["manage_url"] = manage_url(delivery.member_id)
    return values


def render_copy(post: Post, mlist: MailingList, delivery: CopyFor) -> bytes:
    """The bytes one recipient gets: personal headers, then the prepared post with its decoration spliced in."""
    return render_pieces(post, mlist, delivery)[0]


@dataclass(frozen=True)
class Additions:
    """What a copy adds to the prepared post, as far as wire safety goes (see deliver.outgoing)."""

    clean: bool  # every added piece has only CRLF line ends and no line over 998 octets
    edge: int  # the most a piece can lengthen the prepared line it is spliced into


def _additions(pieces: list[bytes]) -> Additions:
    edge = 0
    for piece in pieces:
        lines = piece.split(CRLF)
        edge = max(edge, len(lines[0]) + len(lines[-1]))
    return Additions(all(is_clean(piece) for piece in pieces), edge)


def render_pieces(post: Post, mlist: MailingList, delivery: CopyFor) -> tuple[bytes, Additions]:
    """The copy, and what it adds to the prepared post, so delivery need not re-check 100 kB per recipient."""
    url = unsubscribe_url(delivery.member_id)
    head = personal_headers(mlist, delivery, url)
    data: bytes = post.prepared  # type: ignore[assignment]
    layout = post.prepared_layout
    if not layout:
        return head + data, _additions([head])
    sources = {role: getattr(mlist, TEMPLATE_COLUMNS[role]) for role in {slot["role"] for slot in layout}}
    needed = frozenset().union(*(templates.uses(source) for source in sources.values()))
    values = template_values(mlist, delivery, url, needed)
    texts = {role: templates.render(source, values) for role, source in sources.items()}
    pieces, pos, added = [head], 0, [head]
    for slot in layout:
        added.append(encode_slot(slot, texts[slot["role"]]))
        pieces += [data[pos : slot["at"]], added[-1]]
        pos = slot["at"]
    pieces.append(data[pos:])
    return b"".join(pieces), _additions(added)


def encode_slot(slot: dict, text: str) -> bytes:
    """One rendered template as the bytes its slot needs (plain text, HTML, or a whole MIME part)."""
    if not text:
        return b""
    if slot["kind"] == "html":
        return _transfer(_as_html(text).encode(slot["charset"], "xmlcharrefreplace"), slot["cte"])
    if slot["kind"] == "part":
        return _as_part(text, slot["boundary"])
    lines = _flowed(text) if slot["flowed"] else text.splitlines()
    block = "\r\n".join(lines) + "\r\n"
    if slot["role"].endswith("footer"):
        block = ("\r\n" if slot["newline_before"] else "") + "\r\n" + block
    else:
        block += "\r\n"
    return _transfer(block.encode(slot["charset"], "replace"), slot["cte"])


def _transfer(data: bytes, cte: str) -> bytes:
    if cte != "quoted-printable":
        return data
    # b2a_qp breaks long lines with a bare LF ("=\n"): one of those made every copy unclean, so delivery
    # re-checked and re-wrote the whole message per recipient (a 100 kB digest: most of its time).
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\r\n", b"\n").replace(b"\n", CRLF)
    return encoded if encoded.endswith(CRLF) else encoded + b"=" + CRLF


def _flowed(text: str) -> list[str]:
    """RFC 3676: no trailing spaces (each line is a hard break), stuffed lines that start with space, > or From."""
    out = []
    for line in text.splitlines():
        line = line if line == "-- " else line.rstrip(" ")
        out.append(" " + line if line.startswith((" ", ">", "From ")) else line)
    return out


def _as_html(text: str) -> str:
    escaped = html.escape(text)
    linked = URL.sub(lambda m: f'<a href="{m.group()}">{m.group()}</a>', escaped)
    return '<div class="mailflow-decoration">' + "<br>\r\n".join(linked.splitlines()) + "</div>\r\n"


def _as_part(text: str, boundary: str) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\nContent-Disposition: inline\r\n\r\n"
    )
    return (
        head.encode("ascii")
        + _transfer("\r\n".join(text.splitlines()).encode("utf-8"), "quoted-printable")
        + CRLF
    )
