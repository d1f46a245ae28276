"""Rows a bounce test needs: a list, members, a sent post with one delivery per member."""

from __future__ import annotations

from app.extensions import db
from app.models import Delivery, DeliveryStatus, MailingList, Member, Post, PostStatus
from app.models.timestamps import utcnow


def sent_post(
    mlist: MailingList, members: list[Member], provider_ids: list[str] | None = None
) -> list[Delivery]:
    """A distributed post with a sent delivery for each member."""
    post = Post(
        list_id=mlist.id,
        raw=b"Subject: x\r\n\r\nx\r\n",
        sha256=f"{len(members)}-{utcnow().timestamp()}",
        status=PostStatus.DISTRIBUTED,
        prepared=b"Subject: x\r\n\r\nx\r\n",
    )
    db.session.add(post)
    db.session.flush()
    deliveries = [
        Delivery(
            post_id=post.id,
            member_id=m.id,
            recipient=m.email,
            status=DeliveryStatus.SENT,
            provider_message_id=(provider_ids or [])[i] if provider_ids else f"smtp-{m.id}-{post.id}",
        )
        for i, m in enumerate(members)
    ]
    db.session.add_all(deliveries)
    db.session.commit()
    return deliveries


def member(mlist: MailingList, email: str) -> Member:
    found = db.session.query(Member).filter_by(list_id=mlist.id, email=email).one_or_none()
    if found is None:
        found = Member(list_id=mlist.id, email=email)
        db.session.add(found)
        db.session.commit()
    return found
