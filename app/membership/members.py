"""Member operations shared by the panel, the CLI and the import job: one function per operation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import delete, select

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.insert import insert_new_members
from app.membership.lines import Entry
from app.membership.member_settings import MEMBER_SETTINGS
from app.models import Ban, MailingList, Member, MemberStatus
from app.models.audit import Actor, record_by

LIST_BATCH = 2000  # rows fetched at a time when listing a big roster


def add_members(list_id: int, entries: Iterable[Entry]) -> tuple[int, int]:
    """Insert the new addresses as active members; returns (added, already members). The caller commits."""
    wanted = {e.email: e.name for e in entries}
    added = insert_new_members(list_id, list(wanted.items()))
    return added, len(wanted) - added


def find_member(mlist: MailingList, address: str) -> Member | None:
    """The member of mlist with this address (normalised first), or None."""
    try:
        email = normalise_address(address)
    except InvalidAddress:
        return None
    return db.session.scalar(select(Member).where(Member.list_id == mlist.id, Member.email == email))


def list_members(mlist: MailingList, status: MemberStatus | None = None) -> Iterator[Member]:
    """The list's members by address, optionally of one status, fetched in batches."""
    query = select(Member).where(Member.list_id == mlist.id).order_by(Member.email)
    if status is not None:
        query = query.where(Member.status == status)
    yield from db.session.scalars(query.execution_options(yield_per=LIST_BATCH))


def member_settings(member: Member) -> dict[str, object]:
    """The member's settings by key (the keys `members set` takes), JSON-able."""
    return MEMBER_SETTINGS.show(member)


def update_member(member: Member, raw: Mapping[str, str], actor: Actor) -> list[str]:
    """Check every key, then change and commit with an audit entry; returns what changed.

    Raises SettingsError (nothing changed) when a key or value is bad.
    """
    changed = MEMBER_SETTINGS.apply(member, raw)
    if member.status != MemberStatus.DISABLED and member.disabled_reason:
        member.disabled_reason = ""  # a reason is kept only while the member is disabled
        changed.append("disabled_reason")
    if changed:
        record_by(
            actor,
            "member.update",
            "list",
            member.list_id,
            member.list_id,
            email=member.email,
            changed=changed,
        )
    db.session.commit()
    return changed


def remove_members(mlist: MailingList, members: Iterable[Member], actor: Actor, ban: bool = False) -> int:
    """Remove members from the list (optionally banning each address); returns how many. Commits."""
    ids, emails = [], []
    for member in members:
        ids.append(member.id)
        emails.append(member.email)
        record_by(
            actor, "member.ban" if ban else "member.remove", "list", mlist.id, mlist.id, email=member.email
        )
        if ban:
            db.session.add(Ban(list_id=mlist.id, pattern=member.email))
    if ids:
        db.session.execute(delete(Member).where(Member.list_id == mlist.id, Member.id.in_(ids)))
    db.session.commit()
    return len(ids)
