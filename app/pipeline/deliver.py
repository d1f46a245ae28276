"""Deliver phase: claim a batch of copies, personalise, send through the egress, record each outcome."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.egress import Outgoing, SendResult, make_sender
from app.extensions import db
from app.models import Delivery, DeliveryStatus, MailingList, Post
from app.models.timestamps import utcnow
from app.pipeline.personalise import render_copy
from app.pipeline.recipients import finish_if_done

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 3600


def claim(delivery_ids: Sequence[int]) -> list[Delivery]:
    """Move pending rows to sending under a lease; rows another worker holds are skipped."""
    lease = utcnow() + LEASE
    claimed = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, lease_until=lease, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
    ).all()
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.id)))


def deliver_batch(post_id: int, delivery_ids: Sequence[int]) -> None:
    """Send the claimable copies among delivery_ids and record what happened to each."""
    copies = claim(delivery_ids)
    if copies:
        post = db.session.get(Post, post_id)
        if post is None or post.prepared is None:
            raise RuntimeError(f"post {post_id} has deliveries but no prepared message")
        results = _send(post, copies)
        record(results)
        retry_later(post_id, [r for r in results if not r.ok and not r.permanent], copies)
    finish_if_done(post_id)


def _send(post: Post, copies: list[Delivery]) -> list[SendResult]:
    mlist: MailingList = post.mailing_list
    mail_from = mlist.role_address("bounces")
    batch = [
        Outgoing(c.id, mail_from, c.recipient, render_copy(post, mlist, c))
        for c in copies
    ]
    sender = make_sender(current_app.config["MAILFLOW"])
    try:
        return sender.send(batch)
    finally:
        sender.close()


def record(results: Sequence[SendResult]) -> None:
    """Write each copy's outcome: sent, failed for good, or pending again for a retry."""
    now = utcnow()
    for result in results:
        if result.ok:
            values = {"status": DeliveryStatus.SENT, "provider_message_id": result.provider_id, "sent_at": now}
        elif result.permanent:
            values = {"status": DeliveryStatus.FAILED, "last_error": result.error[:2000]}
        else:
            values = {"status": DeliveryStatus.PENDING, "last_error": result.error[:2000]}
        db.session.execute(
            update(Delivery).where(Delivery.id == result.delivery_id).values(lease_until=None, **values)
        )
    db.session.commit()


def retry_later(post_id: int, failures: Sequence[SendResult], copies: Sequence[Delivery]) -> None:
    """Enqueue temporary failures again with exponential backoff."""
    if not failures:
        return
    from app.jobs import deliver
    from app.queues import QueueName, enqueue

    attempts = max(c.attempts for c in copies if c.id in {f.delivery_id for f in failures})
    delay = min(30 * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    log.warning("post %s: %d copies failed for now, retrying in %ss", post_id, len(failures), delay)
    enqueue(deliver, post_id, [f.delivery_id for f in failures], queue=QueueName.DELIVERIES, delay=delay)
