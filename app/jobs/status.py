"""What the system is doing and what needs a person: queues, copies, posts, workers, relay faults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.queues import ALL_QUEUES, redis_connection
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline.relayfault import open_faults

# A copy due this long ago and still pending is stuck (workers down, or too few for the load).
STUCK_AFTER = timedelta(minutes=15)
FAILED_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CopyCounts:
    """Copies by state; retrying = pending after at least one failed try."""

    pending: int = 0
    retrying: int = 0
    sending: int = 0
    failed_24h: int = 0
    oldest_pending: datetime | None = None


@dataclass(frozen=True)
class QueueDepth:
    name: str
    waiting: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class WorkerState:
    name: str
    state: str
    last_heartbeat: datetime | None


@dataclass
class Status:
    """One snapshot; `attention` lists what needs a person (empty: all is well)."""

    copies: CopyCounts
    held: int
    shunted: int
    queues: list[QueueDepth] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)
    relay_faults: list[str] = field(default_factory=list)
    redis: str = "not configured"
    attention: list[str] = field(default_factory=list)


def copy_counts(list_ids: Sequence[int] | None = None) -> CopyCounts:
    """Pending, retrying, sending and recently failed copies (of the given lists' posts, or of all)."""
    query = select(
        func.count().filter((Delivery.status == DeliveryStatus.PENDING) & (Delivery.attempts == 0)),
        func.count().filter((Delivery.status == DeliveryStatus.PENDING) & (Delivery.attempts > 0)),
        func.count().filter(Delivery.status == DeliveryStatus.SENDING),
        func.count().filter(
            (Delivery.status == DeliveryStatus.FAILED) & (Delivery.created_at > utcnow() - FAILED_WINDOW)
        ),
        func.min(Delivery.created_at).filter(Delivery.status == DeliveryStatus.PENDING),
    ).where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)))
    if list_ids is not None:
        query = query.join(Post, Post.id == Delivery.post_id).where(Post.list_id.in_(list_ids))
    pending, retrying, sending, failed, oldest = db.session.execute(query).one()
    return CopyCounts(pending, retrying, sending, failed, oldest)


def _overdue_copies() -> int:
    """Pending copies due for longer than STUCK_AFTER."""
    cutoff = utcnow() - STUCK_AFTER
    due_since = func.coalesce(Delivery.next_attempt_at, Delivery.created_at)
    return (
        db.session.scalar(
            select(func.count()).where(Delivery.status == DeliveryStatus.PENDING, due_since < cutoff)
        )
        or 0
    )


def _posts(status: PostStatus) -> int:
    return db.session.scalar(select(func.count()).where(Post.status == status)) or 0


def collect(redis_url: str) -> Status:
    """Take a snapshot; redis_url empty means jobs run in-process (development)."""
    status = Status(copy_counts(), _posts(PostStatus.HELD), _posts(PostStatus.SHUNTED))
    status.relay_faults = [
        f"{f.signature} ({f.copies} copies since {f.first_seen_at:%Y-%m-%d %H:%M} UTC)" for f in open_faults()
    ]
    if redis_url:
        _queue_side(status)
    _judge(status, bool(redis_url))
    return status


def _queue_side(status: Status) -> None:
    from rq import Queue, Worker
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    conn = redis_connection()
    try:
        for name in ALL_QUEUES:
            queue = Queue(name.value, connection=conn)
            scheduled = ScheduledJobRegistry(queue=queue).count
            status.queues.append(
                QueueDepth(name.value, queue.count, scheduled, FailedJobRegistry(queue=queue).count)
            )
        status.workers = [
            WorkerState(w.name, str(w.get_state()), w.last_heartbeat) for w in Worker.all(connection=conn)
        ]
        status.redis = "reachable"
    except RedisError as exc:
        status.redis = f"unreachable ({exc})"


def _judge(status: Status, uses_redis: bool) -> None:
    needs = status.attention
    if status.relay_faults:
        needs.append("the outgoing relay refuses copies (relay fault): check its configuration")
    if status.shunted:
        needs.append(
            f"{status.shunted} shunted post(s): see the panel's post log, then `mailflow posts retry ID`"
        )
    if uses_redis and status.redis != "reachable":
        needs.append(f"Redis is {status.redis}")
    elif uses_redis and not status.workers and (status.copies.pending or status.copies.retrying):
        needs.append("copies are waiting and no worker is running: start `mailflow worker`")
    overdue = _overdue_copies()
    if overdue:
        needs.append(f"{overdue} copies have been due for over {STUCK_AFTER.seconds // 60} minutes")
