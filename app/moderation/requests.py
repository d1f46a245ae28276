"""Pending subscription requests (members waiting for approval): the queue and the three decisions.

The one service behind the panel's Requests tab, replies by mail and (later) the JSON API.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from sqlalchemy import Select, func, select

from app.extensions import db
from app.mail.headersafety import clean
from app.membership.subscriptions import approve
from app.models import MailingList, Member, MemberStatus, PendingAction
from app.models.audit import Actor, record_by
from app.sysmail.notices import build_notice, send_notice

QUEUE_LIMIT = 200
DEFAULT_DENIAL = "A list moderator declined the request."


class RequestAction(enum.StrEnum):
    APPROVE = "approve"
    DENY = "deny"  # the reason is sent to the requester
    DISCARD = "discard"  # dropped without a word


class NotPending(ValueError):
    """The request was decided already (or never was one); the message says what it is now."""


ListIds = Iterable[int] | Select


def _waiting(list_ids: ListIds):
    ids = list_ids if isinstance(list_ids, Select) else list(list_ids)
    return select(Member).where(
        Member.list_id.in_(ids),
        Member.status == MemberStatus.PENDING,
        Member.pending == PendingAction.APPROVAL,
    )


def pending_requests(list_ids: ListIds, limit: int = QUEUE_LIMIT) -> list[Member]:
    """Requests waiting on these lists, oldest first."""
    return list(db.session.scalars(_waiting(list_ids).order_by(Member.created_at, Member.id).limit(limit)))


def count_pending(list_ids: ListIds) -> int:
    """How many requests wait on these lists."""
    return db.session.scalar(_waiting(list_ids).with_only_columns(func.count(Member.id))) or 0


def is_pending(member: Member) -> bool:
    """Whether the member row is a request still waiting for a moderator."""
    return member.status == MemberStatus.PENDING and member.pending == PendingAction.APPROVAL


def decide_request(
    member: Member, action: RequestAction, actor: Actor, reason: str = "", via: str = "panel"
) -> str:
    """Approve, deny (telling the requester why) or discard one request; returns what happened. Commits.

    Raises NotPending when it was decided already: a request is decided once, whichever door comes first.
    """
    if not is_pending(member):
        raise NotPending(f"the request of {member.email} is no longer pending ({member.status})")
    mlist, email = member.mailing_list, member.email
    details: dict[str, object] = {"email": email, "via": via}
    if action is RequestAction.APPROVE:
        record_by(actor, "member.approve", "member", member.id, mlist.id, **details)
        approve(member)
        return f"{email} is subscribed to {mlist.address}."
    reason = " ".join(clean(reason).split())[:500] or DEFAULT_DENIAL
    record_by(actor, f"member.{action}", "member", member.id, mlist.id, **details, reason=reason)
    db.session.delete(member)  # a request refused leaves no member row: asking again starts afresh
    db.session.commit()
    if action is RequestAction.DENY:
        _tell_requester(mlist, email, reason)
        return f"The request of {email} is declined; they were told why."
    return f"The request of {email} is discarded."


def _tell_requester(mlist: MailingList, email: str, reason: str) -> bool:
    body = (
        f"Your request to join {mlist.address} was declined.\n\nReason: {reason}\n\n"
        "Nothing else changed; you are not subscribed.\n"
    )
    notice = build_notice(mlist, email, f"Your request to join {mlist.name}", body)
    return send_notice(mlist, notice)


def decide_many(
    members: Iterable[Member], action: RequestAction, actor: Actor, reason: str = ""
) -> tuple[int, int]:
    """Decide several requests alike; returns (decided, skipped because no longer pending)."""
    done = skipped = 0
    for member in members:
        try:
            decide_request(member, action, actor, reason)
            done += 1
        except NotPending:
            skipped += 1
    return done, skipped


def find_request(list_id: int, email: str) -> Member | None:
    """The request of email waiting on the list, if there is one."""
    return db.session.scalar(_waiting([list_id]).where(Member.email == email.strip().lower()))
