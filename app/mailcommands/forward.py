"""Mail to LIST-owner@ as the owners receive it: From: the list's owner address, the author in Reply-To.

Kept as it came, a forward of `From: IT Admin <admin@our-domain>` left DKIM-signed by us, with our bounce
address as envelope sender: it passed DMARC as our own mail. The forward now speaks for the list's owner
address, shows who wrote it, and answers go to the author only when the From: field parses strictly.
"""

from __future__ import annotations

from app.mail.authors import parse_mailbox, phrase
from app.mail.headersafety import decode, defuse_field
from app.mail.rawmessage import RawMessage
from app.models import MailingList

# Fields of the original that would speak for someone else once From: is ours.
REPLACED = ("From", "Sender", "Reply-To", "X-Original-From", "Return-Path", "DKIM-Signature")


def owner_copy(mlist: MailingList, raw: bytes) -> bytes:
    """The message rewritten for the owners: our From:, the re-validated author in Reply-To."""
    msg = RawMessage.parse(raw)
    fields = msg.get_all("From")
    author = parse_mailbox(fields[0]) if len(fields) == 1 else None
    shown = author.address if author else (decode(fields[0]) if fields else "") or "unknown sender"
    msg.remove(*REPLACED)
    msg.append("From", f"{phrase(f'{shown} via {mlist.name} owners')} <{mlist.role_address('owner')}>")
    if author is not None:
        msg.append("Reply-To", author.header_value())
        msg.append("X-Original-From", author.header_value())
    elif fields:
        msg.append("X-Original-From", phrase(shown))
    msg.fields = [(name, defuse_field(data)) for name, data in msg.fields]
    return msg.to_bytes()
