"""Who receives what: per-member delivery modes and vacations as SQL conditions the fan-outs share."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from app.extensions import db
from app.models import DIGEST_MODES, DeliveryMode, Member, MemberStatus


def not_on_vacation(today: date) -> ColumnElement[bool]:
    """Members whose vacation is over (or who never took one): mail resumes on the vacation_until day."""
    return or_(Member.vacation_until.is_(None), Member.vacation_until <= today)


def receives_posts(today: date) -> ColumnElement[bool]:
    """Active members who get each post as it is distributed."""
    return and_(
        Member.status == MemberStatus.ACTIVE,
        Member.delivery_enabled.is_(True),
        Member.delivery_mode == DeliveryMode.REGULAR,
        not_on_vacation(today),
    )


def receives_digests(today: date) -> ColumnElement[bool]:
    """Active members who get the list's digests (MIME or plain text)."""
    return and_(
        Member.status == MemberStatus.ACTIVE,
        Member.delivery_enabled.is_(True),
        Member.delivery_mode.in_([m.value for m in DIGEST_MODES]),
        not_on_vacation(today),
    )


def withheld_counts(list_id: int, today: date) -> dict[str, int]:
    """Active members a post's fan-out skips: those who read digests, and those who get no mail (or are away)."""
    active = and_(
        Member.list_id == list_id, Member.status == MemberStatus.ACTIVE, Member.delivery_enabled.is_(True)
    )
    digest = receives_digests(today)
    nomail = or_(Member.delivery_mode == DeliveryMode.NOMAIL, ~not_on_vacation(today))
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((digest, 1), else_=0)), 0),
            func.coalesce(func.sum(case((nomail, 1), else_=0)), 0),
        ).where(active)
    ).one()
    return {"digest": int(row[0]), "nomail": int(row[1])}
