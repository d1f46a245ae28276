"""Content filtering: strip the MIME types a list refuses, optionally drop the HTML alternative."""

from __future__ import annotations

import fnmatch
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

from app.mail.rawmessage import RawMessage
from app.models import MailingList

UNTOUCHABLE = ("multipart/signed", "multipart/encrypted")  # changing them breaks the signature
REMOVED_NOTE = "[The list removed this message's content: its type is not accepted here.]\r\n"


def stripped_types(mlist: MailingList) -> list[str]:
    """The list's filter_mime_types, one type or type/* per line (or separated by spaces/commas)."""
    return [t.lower() for t in mlist.filter_mime_types.replace(",", " ").split()]


def _unwanted(part: Message, types: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(part.get_content_type(), t) for t in types)


def _prune(part: Message, types: list[str], drop_html: bool) -> bool:
    """Remove unwanted children of a multipart, depth first; True when anything changed."""
    if not part.is_multipart() or part.get_content_type() in UNTOUCHABLE:
        return False
    payload = part.get_payload()
    if not isinstance(payload, list):
        return False
    children = [c for c in payload if isinstance(c, Message)]
    changed = False
    for child in children:  # every child is pruned: no short-circuit
        changed = _prune(child, types, drop_html) or changed
    kept = [c for c in children if not _unwanted(c, types)]
    alternative = part.get_content_type() == "multipart/alternative"
    if drop_html and alternative and any(c.get_content_type() == "text/plain" for c in kept):
        kept = [c for c in kept if c.get_content_type() != "text/html"]
    if len(kept) != len(children):
        part.set_payload(list[Message | str](kept))
        changed = True
    return changed


def _body_bytes(mime: Message) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=compat32.clone(linesep="\r\n")).flatten(mime)
    return RawMessage.parse(out.getvalue()).body


def content_filter(mlist: MailingList, msg: RawMessage) -> None:
    """Rewrite the body without the refused parts; headers of the message stay as they were."""
    types = stripped_types(mlist)
    if not types and not mlist.drop_html_alternative:
        return
    mime = message_from_bytes(msg.to_bytes(), policy=compat32)
    if not mime.is_multipart():
        if _unwanted(mime, types):
            msg.remove("Content-Type", "Content-Transfer-Encoding", "Content-Disposition")
            msg.append("Content-Type", "text/plain; charset=us-ascii")
            msg.body = REMOVED_NOTE.encode("ascii")
        return
    if _prune(mime, types, mlist.drop_html_alternative):
        msg.body = _body_bytes(mime)
