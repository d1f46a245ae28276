"""Adding many members at once, the owner's choice of how: silently, with the list's welcome, or by invitation."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sqlalchemy import select

from app.extensions import db
from app.membership.greetings import send_invitation, send_welcome
from app.membership.lines import Entry
from app.membership.members import add_members
from app.membership.subscriptions import invite
from app.models import MailingList, Member, MemberStatus


class AddMode(enum.StrEnum):
    SILENT = "silent"  # members at once, no mail
    WELCOME = "welcome"  # members at once, each mailed the list's welcome text
    INVITE = "invite"  # an invitation each; only those who confirm become members


ADD_MODE_CHOICES = (
    (AddMode.SILENT.value, "Add silently"),
    (AddMode.WELCOME.value, "Add and send the welcome message"),
    (AddMode.INVITE.value, "Invite (they join by confirming)"),
)


def _active(list_id: int, emails: Sequence[str]) -> set[str]:
    found = db.session.scalars(
        select(Member.email).where(
            Member.list_id == list_id, Member.email.in_(emails), Member.status == MemberStatus.ACTIVE
        )
    )
    return set(found)


def add_by_mode(mlist: MailingList, entries: Sequence[Entry], mode: AddMode) -> tuple[int, int]:
    """Add (or invite) entries; returns (added or invited, already members). Commits."""
    if mode is AddMode.INVITE:
        return invite_all(mlist, entries)
    emails = [e.email for e in entries]
    before = _active(mlist.id, emails)
    added, existing = add_members(mlist.id, entries)
    db.session.commit()
    if mode is AddMode.WELCOME and added:
        new = [e for e in dict.fromkeys(emails) if e not in before]
        for member in db.session.scalars(
            select(Member).where(Member.list_id == mlist.id, Member.email.in_(new))
        ):
            send_welcome(member)
    return added, existing


def invite_all(mlist: MailingList, entries: Sequence[Entry]) -> tuple[int, int]:
    """Mail an invitation to each entry not yet an active member; returns (invited, already members or banned)."""
    invited = skipped = 0
    for entry in {e.email: e for e in entries}.values():
        member = invite(mlist, entry.email, entry.name)
        if member is None:
            skipped += 1
            continue
        send_invitation(member)
        invited += 1
    return invited, skipped
