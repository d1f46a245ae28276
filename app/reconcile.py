"""The database is the source of truth: re-enqueue what it says is pending but no queue holds."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy import select, update

from app.extensions import db
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)


def enqueue_unqueued_posts(limit: int = 1000) -> int:
    """Enqueue received posts that never reached a queue (Redis was down at ingress)."""
    from app.queues import enqueue_posts

    ids = list(db.session.scalars(
        select(Post.id).where(Post.status == PostStatus.RECEIVED, Post.queued_at.is_(None))
        .order_by(Post.id).limit(limit)
    ))
    if ids and enqueue_posts(ids):
        log.info("reconciler enqueued %d stored posts", len(ids))
        return len(ids)
    return 0


def release_expired_leases() -> int:
    """Return copies whose sending lease ran out (a worker died) to pending."""
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < utcnow())
        .values(status=DeliveryStatus.PENDING, lease_until=None)
    )
    db.session.commit()
    return result.rowcount or 0


def reconcile_all() -> None:
    """One reconciliation pass."""
    from app.pipeline.expiry import expire_held

    enqueue_unqueued_posts()
    expire_held()
    released = release_expired_leases()
    if released:
        log.warning("reconciler returned %d copies with expired leases to pending", released)


def start_reconciler(app: Flask, stop: threading.Event) -> threading.Thread:
    """Run reconcile_all every MAILFLOW_RECONCILE_SECONDS until stop is set."""
    interval = app.config["MAILFLOW"].RECONCILE_SECONDS

    def loop() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    reconcile_all()
            except Exception:
                log.exception("reconciler pass failed; trying again in %ss", interval)

    thread = threading.Thread(target=loop, name="reconciler", daemon=True)
    thread.start()
    return thread
