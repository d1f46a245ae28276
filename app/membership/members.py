"""Membership operations shared by the CLI and the panel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.mail.list_addresses import normalise_domain
from app.models import MailingList, Member, MemberStatus


def find_list(address: str) -> MailingList | None:
    """The list at address (case-insensitive, IDN-aware), or None."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return None
    return db.session.scalar(
        select(MailingList).where(
            MailingList.local_part == local.lower(), MailingList.domain == normalise_domain(domain)
        )
    )


def add_members(
    mlist: MailingList, addresses: Iterable[str], status: str = MemberStatus.ACTIVE
) -> tuple[int, int]:
    """Add normalised addresses; returns (added, already members). Existing members are left as they are."""
    wanted = list(dict.fromkeys(addresses))
    existing = (
        set(
            db.session.scalars(
                select(Member.email).where(Member.list_id == mlist.id, Member.email.in_(wanted))
            )
        )
        if wanted
        else set()
    )
    new = [a for a in wanted if a not in existing]
    db.session.add_all(Member(list_id=mlist.id, email=a, status=status) for a in new)
    db.session.commit()
    return len(new), len(wanted) - len(new)
