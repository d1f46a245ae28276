"""Mail in the IMAP folder that is larger than MAX_MESSAGE_SIZE: never fetched whole; its lists' owners hear."""

from __future__ import annotations

import logging

from app.ingress.headers import summary
from app.ingress.imap_match import list_recipients
from app.lists.lookup import resolve
from app.mailcommands.owner import owner_addresses
from app.sysmail.notices import allow_notice, build_notice, send_notice

log = logging.getLogger(__name__)
HEADER_BYTES = 64 * 1024  # how much of an oversized message's header is read to find its lists


def tell_owners(header: bytes, size: int, limit: int, folder: str) -> int:
    """Mail the owners of the lists the message was for; returns how many notices went out."""
    head = summary(header)
    sent = 0
    for address in list_recipients(header):
        hit = resolve(address)
        if hit is None:
            continue
        mlist = hit[0]
        body = (
            f"A message for {mlist.address} in the list's IMAP mailbox is {size:,} bytes, more than the "
            f"{limit:,} bytes this server accepts (MAILFLOW_MAX_MESSAGE_SIZE). It was not distributed; "
            f"it is in the mailbox folder {folder!r}.\n\n"
            f"From: {head['sender'] or '-'}\nSubject: {head['subject'] or '-'}\n"
            f"Message-ID: {head['message_id'] or '-'}\n"
        )
        for owner in owner_addresses(mlist):
            if allow_notice(owner):
                notice = build_notice(mlist, owner, f"Oversized message for {mlist.name} set aside", body)
                sent += send_notice(mlist, notice)
    if not sent:
        log.warning("oversized IMAP message (%d bytes, %s) moved to %s; no owner told", size, head, folder)
    return sent
