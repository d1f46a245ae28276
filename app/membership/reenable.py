"""Undo a wave of disables: members disabled for one reason (e.g. bounces) become active again."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import MailingList, Member, MemberStatus
from app.models.audit import Actor, record_by

# Reasons the system itself disables members for; a reason an admin typed is theirs to undo one by one.
ENABLE_REASONS = ("bounces",)


class EnableRefused(ValueError):
    """The reason is not one members can be re-enabled for in bulk; the message says which are."""


def disabled_for(mlist: MailingList, reason: str) -> int:
    """How many members of the list are disabled for this reason."""
    return (
        db.session.scalar(
            select(func.count()).where(
                Member.list_id == mlist.id,
                Member.status == MemberStatus.DISABLED,
                Member.disabled_reason == reason,
            )
        )
        or 0
    )


def enable_members(mlist: MailingList, reason: str, actor: Actor) -> int:
    """Re-enable every member disabled for reason, their bounce score back to zero; returns how many. Commits."""
    if reason not in ENABLE_REASONS:
        raise EnableRefused(f"members can be re-enabled in bulk only for: {', '.join(ENABLE_REASONS)}")
    result = db.session.execute(
        update(Member)
        .where(
            Member.list_id == mlist.id,
            Member.status == MemberStatus.DISABLED,
            Member.disabled_reason == reason,
        )
        .values(
            status=MemberStatus.ACTIVE,
            disabled_reason="",
            bounce_score=0.0,
            last_bounce_at=None,
            bounce_warned_at=None,
        )
    )
    count = result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    record_by(actor, "member.enable", "list", mlist.id, mlist.id, reason=reason, count=count)
    db.session.commit()
    return count
