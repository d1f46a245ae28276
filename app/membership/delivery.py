"""Who receives what: per-member delivery modes and vacations as SQL conditions the fan-outs share."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

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
