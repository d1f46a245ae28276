"""Member operations shared by the panel, the CLI and the import job: one function per operation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import select, update

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.insert import insert_new_members
from app.membership.lines import Entry
from app.membership.member_settings import MEMBER_SETTINGS
from app.models import MailingList, Member, MemberStatus, PendingAction
from app.models.audit import Actor, record_by
from app.moderation.bans import ban_address
from app.webhooks.events import WebhookEvent, emit, list_address

LIST_BATCH = 2000  # rows fetched at a time when listing a big roster
REMOVED_BY_OWNER = {False: "by the owner", True: "banned by the owner"}  # the reason a removal leaves


def add_members(list_id: int, entries: Iterable[Entry]) -> tuple[int, int]:
    """Insert the new addresses as active members; returns (added, already members). The caller commits."""
    wanted = {e.email: e.name for e in entries}
    added = insert_new_members(list_id, list(wanted.items()))
    if added < len(wanted):
        added += _readd_removed(list_id, list(wanted))
    if added == len(wanted) == 1:  # a single add is an event; bulk imports are not announced one by one
        emit(
            WebhookEvent.MEMBER_SUBSCRIBED,
            list_id,
            {"list": list_address(list_id), "email": next(iter(wanted))},
        )
    return added, len(wanted) - added


def _readd_removed(list_id: int, emails: list[str]) -> int:
    """Members the owner removed become active again when added again; those who left on their own stay out."""
    result = db.session.execute(
        update(Member)
        .where(
            Member.list_id == list_id,
            Member.email.in_(emails),
            Member.status == MemberStatus.UNSUBSCRIBED,
            Member.disabled_reason == REMOVED_BY_OWNER[False],
        )
        .values(status=MemberStatus.ACTIVE, disabled_reason="")
    )
    return getattr(result, "rowcount", 0) or 0  # an UPDATE's CursorResult


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


def update_members(
    mlist: MailingList, members: Iterable[Member], raw: Mapping[str, str], actor: Actor
) -> int:
    """The same settings for many members (the roster's bulk action); returns how many changed. Commits.

    Raises SettingsError (nothing changed) when a key or value is bad: the registry checks before it sets.
    """
    changed = sum(1 for member in members if MEMBER_SETTINGS.apply(member, raw))
    record_by(actor, "member.bulk_update", "list", mlist.id, mlist.id, keys=sorted(raw), count=changed)
    db.session.commit()
    return changed


def remove_members(mlist: MailingList, members: Iterable[Member], actor: Actor, ban: bool = False) -> int:
    """Unsubscribe members on the owner's word (optionally banning each address); returns how many. Commits.

    The rows stay, marked "by the owner" (or "banned by the owner"): the roster shows who left and why, and
    their deliveries and bounces keep their member.
    """
    ids = []
    for member in members:
        ids.append(member.id)
        record_by(
            actor, "member.ban" if ban else "member.remove", "list", mlist.id, mlist.id, email=member.email
        )
        emit(
            WebhookEvent.MEMBER_UNSUBSCRIBED,
            mlist.id,
            {"list": mlist.address, "email": member.email, "status": "unsubscribed"},
        )
        if ban:
            ban_address(mlist.id, member.email)  # the exact address, never a pattern (issue 12 item 2)
    if ids:
        db.session.execute(
            update(Member)
            .where(Member.list_id == mlist.id, Member.id.in_(ids))
            .values(
                status=MemberStatus.UNSUBSCRIBED,
                disabled_reason=REMOVED_BY_OWNER[ban],
                pending=PendingAction.NONE,
                confirm_token=None,
                token_expires_at=None,
            )
        )
    db.session.commit()
    return len(ids)
