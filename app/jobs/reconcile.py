"""The database is the source of truth: re-enqueue what it says is pending but no queue holds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import Select, exists, or_, select, update

from app.archive.catchup import archive_missing
from app.bounces.scoring import reset_quiet_scores
from app.digests.schedule import send_due_digests
from app.extensions import db
from app.jobs.queues import Job, QueueName, enqueue, enqueue_posts, redis_connection, share_out
from app.liveness import provably_dead
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.models.timestamps import utcnow
from app.moderation.expiry import expire_held
from app.posts.retention import purge_by_list_settings
from app.sysmail.membership_news import send_membership_news
from app.sysmail.outbox import enqueue_overdue
from app.sysmail.summaries import send_due_summaries
from app.webhooks.dispatch import enqueue_if_due

log = logging.getLogger(__name__)
SWEEP_LIMIT = 20000  # copies looked at per pass; the next pass takes the rest
SCORE_RESET_SECONDS = 3600  # scores reset after days of quiet: an hourly sweep is soon enough
RETENTION_SECONDS = 3600  # the lists' raw_retention_days are counted in days: hourly is often enough
# Set by the reconciler, never expires: when it is missing, Redis was flushed or restarted without its data.
REDIS_MARKER = "mailflow:reconciler:redis-marker"
RELEASED_JOB_SIZE = 50  # copies per job when a dead worker's claim is handed back


def enqueue_unqueued_posts(limit: int = 1000) -> int:
    """Enqueue received posts that never reached a queue (Redis was down at ingress)."""
    ids = list(
        db.session.scalars(
            select(Post.id)
            .where(Post.status == PostStatus.RECEIVED, Post.queued_at.is_(None))
            .order_by(Post.id)
            .limit(limit)
        )
    )
    if ids and enqueue_posts(ids):
        log.info("reconciler enqueued %d stored posts", len(ids))
        return len(ids)
    return 0


def release_expired_leases() -> int:
    """Return copies whose worker died to pending, and enqueue them.

    A lease that ran out names a dead (or hung) worker anywhere; a lease held by a process of this host that
    no longer exists names a dead one for certain, and is handed back at once, before it runs out.
    """
    now = utcnow()
    dead = _dead_local_owners()
    lost = (
        (Delivery.lease_until < now) | Delivery.lease_owner.in_(dead) if dead else Delivery.lease_until < now
    )
    expired = db.session.execute(
        select(Delivery.id, Delivery.post_id)
        .where(Delivery.status == DeliveryStatus.SENDING, lost)
        .limit(SWEEP_LIMIT)
    ).all()
    if not expired:
        return 0
    released = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_([row.id for row in expired]), Delivery.status == DeliveryStatus.SENDING, lost)
        .values(status=DeliveryStatus.PENDING, lease_until=None, next_attempt_at=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    chosen = set(released)
    # Small jobs at the front of the queue: a dead worker's batch goes first, shared by every idle worker,
    # not resent by one at relay speed.
    released_rows = ((row.post_id, row.id) for row in expired if row.id in chosen)
    _enqueue_deliveries(released_rows, RELEASED_JOB_SIZE, at_front=True)
    return len(chosen)


def _dead_local_owners() -> list[str]:
    """Lease owners among copies being sent that were processes of this host and are gone."""
    owners = db.session.scalars(
        select(Delivery.lease_owner).where(Delivery.status == DeliveryStatus.SENDING).distinct()
    )
    return [owner for owner in owners if provably_dead(owner)]


def _queue_is_empty(name: str) -> bool | None:
    """True or False; None when Redis cannot say (nothing can be enqueued now; a later pass catches up)."""

    conn = redis_connection()
    if conn is None:
        return None
    try:
        return Queue(name, connection=conn).count == 0
    except RedisError:
        return None


def _orphan_cutoff(force: bool) -> datetime:
    """Work older than this has lost its job; after Redis was emptied, everything due has."""
    if force:
        return utcnow()
    return utcnow() - timedelta(seconds=current_app.config["MAILFLOW"].RECONCILE_SECONDS)


def enqueue_orphaned_deliveries(force: bool = False) -> int:
    """Enqueue pending copies overdue by a reconcile interval (or, after Redis was emptied, all due ones).

    With the delivery queue empty every overdue copy is an orphan. With jobs waiting, fresh copies are
    covered by them, but a retry overdue that long lost its job (or waits behind a backlog it should not):
    it goes to the front of the queue and is marked due now, so the next pass does not enqueue it again.
    """
    empty = True if force else _queue_is_empty(QueueName.DELIVERIES)
    if empty is None:
        return 0
    cutoff = _orphan_cutoff(force)
    rows = db.session.execute(orphans_query(cutoff, empty)).all()
    if rows and not empty:
        db.session.execute(
            update(Delivery).where(Delivery.id.in_([r.id for r in rows])).values(next_attempt_at=utcnow())
        )
        db.session.commit()
    _enqueue_deliveries(((row.post_id, row.id) for row in rows), at_front=not empty)
    return len(rows)


def orphans_query(cutoff: datetime, empty: bool) -> Select:
    """Pending copies overdue at cutoff: retries only while jobs wait, never-tried ones too when none do.

    Retries are found through ix_deliveries_retry_due, which holds only copies with a retry time: during a
    fan-out of a million copies the scan reads the few retries, not every pending row.
    """
    overdue_retry = Delivery.next_attempt_at < cutoff
    never_tried = Delivery.next_attempt_at.is_(None) & (Delivery.created_at < cutoff)
    return (
        select(Delivery.post_id, Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            or_(overdue_retry, never_tried) if empty else overdue_retry,
        )
        .order_by(Delivery.id)
        .limit(SWEEP_LIMIT)
    )


def enqueue_orphaned_posts(force: bool = False) -> int:
    """Posts stuck between phases while the post queue is empty (or Redis was emptied) lost their job."""
    if not force and not _queue_is_empty(QueueName.POSTS):
        return 0
    cutoff = _orphan_cutoff(force)
    no_copies = ~exists().where(Delivery.post_id == Post.id)
    ids = list(
        db.session.scalars(
            select(Post.id)
            .where(
                or_(
                    Post.status == PostStatus.RECEIVED,
                    Post.status == PostStatus.ACCEPTED,
                    (Post.status == PostStatus.DISTRIBUTING) & no_copies,
                ),
                Post.queued_at < cutoff,
            )
            .order_by(Post.id)
            .limit(1000)
        )
    )
    if ids:
        enqueue_posts(ids)
    return len(ids)


def redis_was_emptied() -> bool:
    """True when Redis no longer holds the marker this installation leaves there (flushed, restarted empty)."""
    conn = redis_connection()
    try:
        return conn is not None and not conn.exists(REDIS_MARKER)
    except RedisError:
        return False  # unreachable: nothing can be enqueued now; the pass after it returns does it


def mark_redis_filled() -> None:
    """Leave the marker whose absence tells a later pass that Redis lost everything."""
    conn = redis_connection()
    try:
        if conn is not None:
            conn.set(REDIS_MARKER, "1")
    except RedisError as exc:
        log.warning("could not set %s in Redis (%s)", REDIS_MARKER, exc)


def _enqueue_deliveries(rows: Iterable[tuple[int, int]], size: int = 0, at_front: bool = False) -> None:
    size = size or current_app.config["MAILFLOW"].DELIVERY_BATCH_SIZE
    by_post: dict[int, list[int]] = {}
    for post_id, delivery_id in rows:
        by_post.setdefault(post_id, []).append(delivery_id)
    try:
        for post_id, ids in by_post.items():
            for batch in share_out(ids, size):
                enqueue(Job.DELIVER, post_id, batch, at_front=at_front)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): pending copies are enqueued by a later pass", exc)


def reconcile_all() -> None:
    """One reconciliation pass."""
    release_leases_now()
    enqueue_unqueued_posts()
    expire_held()
    orphans = enqueue_orphaned_deliveries() + enqueue_orphaned_posts() + enqueue_overdue()
    if orphans:
        log.warning("reconciler re-enqueued %d posts/copies whose jobs were lost", orphans)
    archived = archive_missing()
    if archived:
        log.warning("reconciler archived %d distributed posts missing from their archive", archived)
    if _due("mailflow_score_reset", SCORE_RESET_SECONDS):
        reset_quiet_scores()
    if _due("mailflow_retention", RETENTION_SECONDS):
        purge_by_list_settings()
    enqueue_if_due()  # webhook retries come due here
    send_due_digests()  # one process at a time (a Redis lock); each issue once (its unique number)
    send_staff_notices()


def send_staff_notices() -> None:
    """Summaries that are due, notices nobody got yet, membership news: never the end of a pass."""
    try:
        send_due_summaries()
        send_membership_news()
    except Exception:
        db.session.rollback()
        log.exception("staff summaries not sent in this pass; the next pass tries again")


def _due(key: str, every: float) -> bool:
    """True at most once per `every` seconds in this process (for passes too costly to run each time)."""
    now = time.monotonic()
    last = current_app.extensions.get(key)
    if last is not None and now - last < every:
        return False
    current_app.extensions[key] = now
    return True


def sweep_seconds(app: Flask) -> float:
    """How often expired leases are looked for: a few times per lease, so a dead worker's copies move soon."""
    settings = app.config["MAILFLOW"]
    return max(min(settings.RECONCILE_SECONDS, settings.DELIVERY_LEASE_SECONDS / 6), 0.5)


def release_leases_now() -> None:
    """The frequent part of reconciliation: hand a dead worker's copies back, refill an emptied Redis."""
    released = release_expired_leases()  # first: the copies a crash delayed go to the front of the queue
    if released:
        log.warning("reconciler returned %d copies with expired leases to pending", released)
    if redis_was_emptied():  # the copies just released are queued again here: claims make that harmless
        orphans = enqueue_orphaned_deliveries(force=True) + enqueue_orphaned_posts(force=True)
        log.warning("Redis lost its queues; re-enqueued %d posts/copies from the database", orphans)
        mark_redis_filled()


def start_reconciler(app: Flask, stop: threading.Event) -> threading.Thread:
    """Sweep leases every sweep_seconds and reconcile fully every MAILFLOW_RECONCILE_SECONDS until stop."""
    interval, sweep = app.config["MAILFLOW"].RECONCILE_SECONDS, sweep_seconds(app)

    def loop() -> None:
        last_full = time.monotonic()
        while not stop.wait(sweep):
            full = time.monotonic() - last_full >= interval
            try:
                with app.app_context():
                    reconcile_all() if full else release_leases_now()
            except Exception:
                log.exception("reconciler pass failed; trying again in %ss", sweep)
            if full:
                last_full = time.monotonic()

    thread = threading.Thread(target=loop, name="reconciler", daemon=True)
    thread.start()
    return thread
