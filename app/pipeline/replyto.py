"""Reply-To modes: leave the author's, point replies to the list, or to an explicit address."""

from __future__ import annotations

import enum

from app.mail.addresses import normalise_address
from app.mail.authors import phrase
from app.mail.rawmessage import RawMessage
from app.models import MailingList


class ReplyToMode(enum.StrEnum):
    LEAVE = "leave"
    LIST = "list"
    EXPLICIT = "explicit"


def reply_to(mlist: MailingList, msg: RawMessage) -> None:
    """Set Reply-To as the list says; an unknown mode or a bad explicit address raises (the post is shunted)."""
    mode = ReplyToMode(mlist.reply_to_mode or ReplyToMode.LEAVE)
    if mode == ReplyToMode.LIST:
        msg.set("Reply-To", f"{phrase(mlist.name)} <{mlist.address}>")
    elif mode == ReplyToMode.EXPLICIT:
        msg.set("Reply-To", normalise_address(mlist.reply_to_address))
