"""With SES egress, From must be a verified identity: an unverified author's post goes out From the list."""

from __future__ import annotations

import email.policy
from email.headerregistry import Address
from email.parser import BytesHeaderParser

from flask import current_app

from app.mail.rawmessage import RawMessage
from app.models import MailingList


def verified_domains(mlist: MailingList) -> set[str]:
    """The list's own domain and MAILFLOW_SES_VERIFIED_DOMAINS, lower-cased."""
    extra = current_app.config["MAILFLOW"].SES_VERIFIED_DOMAINS.split(",")
    return {mlist.domain.lower(), *(d.strip().lower() for d in extra if d.strip())}


def author(msg: RawMessage) -> Address | None:
    """The single author address of From, parsed strictly, or None."""
    value = msg.get("From")
    if not value:
        return None
    try:
        header = BytesHeaderParser(policy=email.policy.default).parsebytes(
            b"From: " + value.encode("utf-8", "surrogateescape") + b"\r\n\r\n"
        )["From"]
        addresses = header.addresses
    except Exception:  # noqa: BLE001  (an unparseable From is replaced like an unverified one)
        return None
    if len(addresses) != 1 or not addresses[0].domain or any(c in str(addresses[0]) for c in "\r\n\x00"):
        return None
    return addresses[0]


def ses_from(mlist: MailingList, msg: RawMessage) -> None:
    """SES only: From "Author via List" <list@domain>, Reply-To the author, unless the author is verified."""
    from app.pipeline.handlers import phrase

    if current_app.config["MAILFLOW"].EGRESS != "ses":
        return
    who = author(msg)
    if who is not None and who.domain.lower() in verified_domains(mlist):
        return
    name = (who.display_name or who.username) if who is not None else "Unknown sender"
    msg.remove("From", "Sender")
    msg.append("From", f"{phrase(f'{name} via {mlist.name}')} <{mlist.address}>")
    if who is not None and not msg.get("Reply-To"):
        msg.append("Reply-To", who.addr_spec)
