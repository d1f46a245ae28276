"""Find a list by an address: the receiver (any role address) and the CLI and web pages (the posting address)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
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


def find_list(address: str) -> MailingList | None:
    """The list whose posting address this is (case-insensitive, IDN-aware), or None."""
    found = resolve(address)
    return found[0] if found is not None and found[1].role is AddressRole.POST else None


def all_lists() -> list[MailingList]:
    """Every list, ordered by address."""
    return list(db.session.scalars(select(MailingList).order_by(MailingList.domain, MailingList.local_part)))
