"""With SES egress, From must be a verified identity: an unverified author's post goes out From the list."""

from __future__ import annotations

from flask import current_app

from app.config import Egress
from app.mail.authors import parse_mailbox, phrase
from app.mail.rawmessage import RawMessage
from app.models import MailingList


def verified_domains(mlist: MailingList) -> set[str]:
    """The list's own domain and MAILFLOW_SES_VERIFIED_DOMAINS, lower-cased."""
    extra = current_app.config["MAILFLOW"].SES_VERIFIED_DOMAINS.split(",")
    return {mlist.domain.lower(), *(d.strip().lower() for d in extra if d.strip())}


def ses_from(mlist: MailingList, msg: RawMessage) -> None:
    """SES only: From "Author via List" <list@domain>, Reply-To the author, unless the author is verified."""
    if current_app.config["MAILFLOW"].EGRESS != Egress.SES:
        return
    who = parse_mailbox(msg.get("From"))
    if who is not None and who.domain in verified_domains(mlist):
        return
    name = (who.name or who.address.partition("@")[0]) if who is not None else "Unknown sender"
    msg.remove("From", "Sender")
    msg.append("From", f"{phrase(f'{name} via {mlist.name}')} <{mlist.address}>")
    if who is not None and not msg.get("Reply-To"):
        msg.append("Reply-To", who.address)
