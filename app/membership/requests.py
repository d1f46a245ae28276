"""Subscription requests waiting for a list owner or moderator: list them, approve, deny with a reason.

Approval is subscriptions.approve; denial ends the request, tells the requester why (system mail) and is
audited. The panel's Requests tab and the API call these same functions.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.membership.subscriptions import approve
from app.models import MailingList, Member, MemberStatus, PendingAction
from app.models.audit import Actor, record_by
from app.sysmail.notices import build_notice, send_notice

MAX_REASON = 2000


def pending_requests(mlist: MailingList, limit: int = 500) -> list[Member]:
    """Requests waiting for approval, oldest first."""
    query = (
        select(Member)
        .where(
            Member.list_id == mlist.id,
            Member.status == MemberStatus.PENDING,
            Member.pending == PendingAction.APPROVAL,
        )
        .order_by(Member.created_at, Member.id)
    )
    return list(db.session.scalars(query.limit(limit)))


def find_request(mlist: MailingList, email: str) -> Member | None:
    """The pending request of email on the list, if there is one."""
    query = select(Member).where(
        Member.list_id == mlist.id,
        Member.email == email.strip().lower(),
        Member.status == MemberStatus.PENDING,
        Member.pending == PendingAction.APPROVAL,
    )
    return db.session.scalar(query)


def approve_request(mlist: MailingList, member: Member, actor: Actor) -> None:
    """Subscribe the requester (the same approval as the panel's)."""
    record_by(actor, "member.approve", "list", mlist.id, mlist.id, email=member.email)
    approve(member)


def deny_request(mlist: MailingList, member: Member, actor: Actor, reason: str = "") -> None:
    """End the request, audited, and tell the requester (with the reason when one is given)."""
    reason = " ".join(reason.split())[:MAX_REASON]
    member.status, member.pending = MemberStatus.UNSUBSCRIBED, PendingAction.NONE
    member.confirm_token, member.token_expires_at = None, None
    record_by(actor, "member.deny", "list", mlist.id, mlist.id, email=member.email, reason=reason)
    db.session.commit()
    body = f"Your request to join {mlist.address} was declined by the list's moderators."
    body += f"\n\nTheir reason: {reason}\n" if reason else "\n"
    send_notice(mlist, build_notice(mlist, member.email, f"Your request to join {mlist.address}", body))
