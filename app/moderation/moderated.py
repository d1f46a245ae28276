"""Moderated members: the members of a list whose posts are held, rejected or discarded whatever the policy."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail.addresses import normalise_address
from app.membership.member_settings import DEFAULT
from app.membership.members import update_member
from app.models import MailingList, Member, ModerationAction
from app.models.audit import Actor

MODERATED = (ModerationAction.HOLD, ModerationAction.REJECT, ModerationAction.DISCARD)
CHOICES = tuple(a.value for a in MODERATED)


class NotAMember(LookupError):
    """The address is not a member of the list: only members can be moderated (others: ban or allow)."""


def moderated_members(mlist: MailingList) -> list[Member]:
    """Members whose moderation is hold, reject or discard, by address."""
    query = select(Member).where(Member.list_id == mlist.id, Member.moderation_action.in_(CHOICES))
    return list(db.session.scalars(query.order_by(Member.email)))


def _member(mlist: MailingList, address: str) -> Member:
    email = normalise_address(address)
    member = db.session.scalar(select(Member).where(Member.list_id == mlist.id, Member.email == email))
    if member is None:
        raise NotAMember(
            f"{address.strip()} is not a member of {mlist.address}: ban it, or allow it, in the lists above."
        )
    return member


def moderate(mlist: MailingList, address: str, action: str, actor: Actor) -> Member:
    """Set a member's moderation to hold, reject or discard (audited, committed); raises ValueError/NotAMember."""
    if action not in CHOICES:
        raise ValueError(f"Choose one of {', '.join(CHOICES)}.")
    member = _member(mlist, address)
    update_member(member, {"moderation": action}, actor)
    return member


def release(mlist: MailingList, address: str, actor: Actor) -> Member:
    """Put a member back under the list's own policy (audited, committed); raises NotAMember."""
    member = _member(mlist, address)
    update_member(member, {"moderation": DEFAULT}, actor)
    return member
