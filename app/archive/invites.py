"""Mail a member the signed link into a members-only archive; nothing tells a stranger who is a member."""

from __future__ import annotations

import logging

from app.archive.access import access_link, find_member
from app.mail.addresses import InvalidAddress, normalise_address
from app.models import MailingList
from app.sysmail.notices import allow_notice, build_notice, send_notice

log = logging.getLogger(__name__)


def mail_access_link(mlist: MailingList, email: str) -> bool:
    """Send the link when email is an active member's (within the daily notice limit); True when sent."""
    try:
        address = normalise_address(email)
    except InvalidAddress:
        return False
    member = find_member(mlist, address)
    if member is None or not allow_notice(address):
        return False
    body = (
        f"Someone (hopefully you) asked to read the archive of {mlist.name} <{mlist.address}>.\n\n"
        f"Open this link to read it; it works for as long as you are a member:\n\n    {access_link(mlist, member)}\n\n"
        "If you did not ask for this, ignore this message.\n"
    )
    notice = build_notice(mlist, address, f"Your link to the {mlist.name} archive", body, auto="auto-replied")
    return send_notice(mlist, notice)
