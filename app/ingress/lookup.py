"""Find the list an address belongs to, in the database."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail import list_addresses
from app.mail.list_addresses import AddressRole, ListAddress, candidates
from app.models import MailingList


def resolve(address: str) -> tuple[MailingList, ListAddress] | None:
    """The list and role for a recipient address, or None when it is no list's address."""
    for reading in candidates(address):
        mlist = db.session.scalar(
            select(MailingList).where(
                MailingList.local_part == reading.local_part, MailingList.domain == reading.domain
            )
        )
        if mlist is not None:
            return mlist, reading
    return None


def role_is_handled(role: AddressRole) -> bool:
    """Whether mail to this role is processed (else it would only be shunted: refuse it at the door)."""
    return role in list_addresses.HANDLED_ROLES
