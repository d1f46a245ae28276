"""Listing posts and summarising one: status, reasons, rule trace, per-recipient outcome counts."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Delivery, DeliveryStatus, MailingList, Post, PostSource, PostStatus


def find_posts(
    mlist: MailingList | None = None,
    status: PostStatus | None = None,
    before: int | None = None,
    limit: int | None = None,
) -> list[Post]:
    """Posts newest first, of one list and one status when given, with ids below `before` (paging)."""
    query = select(Post).where(Post.source != PostSource.DIGEST).order_by(Post.id.desc())
    if mlist is not None:
        query = query.where(Post.list_id == mlist.id)
    if status is not None:
        query = query.where(Post.status == status)
    if before is not None:
        query = query.where(Post.id < before)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def delivery_counts(post: Post) -> dict[str, int]:
    """How many copies of the post are in each delivery status (every status, zeros included)."""
    counts = dict.fromkeys((s.value for s in DeliveryStatus), 0)
    rows = db.session.execute(
        select(Delivery.status, func.count()).where(Delivery.post_id == post.id).group_by(Delivery.status)
    )
    counts.update({status: count for status, count in rows})
    return counts


def one_line_subject(post: Post) -> str:
    """The subject with every run of whitespace (newlines included) as one space."""
    return " ".join(post.subject.split()) or "(no subject)"


def reasons(post: Post) -> list[str]:
    """Why the post is where it is: its hold reasons, else the decision's reason."""
    return list(post.hold_reasons or ([post.decision_reason] if post.decision_reason else []))


def post_summary(post: Post) -> dict[str, object]:
    """One post as JSON: what it is, its status, reasons, rule trace and delivery outcome counts."""
    return {
        "id": post.id,
        "list": post.mailing_list.address,
        "status": post.status,
        "subject": post.subject,
        "from": post.sender or post.mail_from,
        "mail_from": post.mail_from,
        "message_id": post.message_id,
        "received_at": post.received_at.isoformat(),
        "decision": post.decision,
        "reasons": reasons(post),
        "trace": {"hits": list(post.rule_hits), "misses": list(post.rule_misses)},
        "moderator_decision": post.moderator_decision,
        "error": post.error,
        "deliveries": delivery_counts(post),
        # Members who got no copy, and why: they read digests, or take no mail (or are away).
        "not_sent": dict(post.withheld or {"digest": 0, "nomail": 0}),
    }
