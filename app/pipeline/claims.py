"""Claiming copies for one delivery job, and the fence before each chunk: a worker sends only what it holds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.liveness import holder_token
from app.models import Delivery, DeliveryStatus
from app.models.idsets import among
from app.models.timestamps import utcnow
from app.pipeline.lease import heartbeat_seconds


def new_lease_id() -> str:
    """A lease id naming this worker process and this claim (stored in Delivery.lease_owner)."""
    return holder_token(random_chars=8)


def _lease_seconds() -> float:
    return float(current_app.config["MAILFLOW"].DELIVERY_LEASE_SECONDS)


def lease_end(now: datetime) -> datetime:
    """When a lease taken now runs out."""
    return now + timedelta(seconds=_lease_seconds())


@contextmanager
def keep_loaded() -> Iterator[None]:
    """Commits per chunk must not expire (and reload, row by row) the batch and the post."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def claim(delivery_ids: Sequence[int], lease_id: str) -> list[Delivery]:
    """Move due pending rows to sending under a lease; rows another worker holds are skipped.

    One statement claims the rows and hands them back as they now stand (UPDATE ... RETURNING).
    """
    now = utcnow()
    due = (
        select(Delivery.id)
        .where(
            among(Delivery.id, delivery_ids),
            Delivery.status == DeliveryStatus.PENDING,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .with_for_update(skip_locked=True)  # PostgreSQL: never wait for, never take, a row being claimed
    )
    with keep_loaded():
        claimed = db.session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(due))
            .values(
                status=DeliveryStatus.SENDING,
                lease_until=lease_end(now),
                lease_owner=lease_id,
                attempts=Delivery.attempts + 1,
            )
            .returning(Delivery)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).all()
        db.session.commit()
    return sorted(claimed, key=lambda c: c.id)


def renew_lease(copies: Sequence[Delivery], lease_id: str, commit: bool = True) -> list[Delivery]:
    """The copies this lease still holds, their lease renewed; taken-back ones are left out."""
    ids = set(
        db.session.scalars(
            update(Delivery)
            .where(
                among(Delivery.id, [c.id for c in copies]),
                Delivery.status == DeliveryStatus.SENDING,
                Delivery.lease_owner == lease_id,
            )
            .values(lease_until=lease_end(utcnow()))
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    if commit:
        db.session.commit()
    return [c for c in copies if c.id in ids]


def fence(copies: Sequence[Delivery], lease_id: str) -> list[Delivery]:
    """Before each chunk: the copies this lease still holds, so a worker that stalled sends nothing taken back.

    A read, not a write: the heartbeat (lease.py) keeps a live worker's lease a whole lease ahead, so
    rewriting every row per chunk only cost index entries and WAL. When the heartbeat has fallen behind by
    more than one beat, the held copies are renewed here (uncommitted) before anything is sent.
    (SQLite's path; on PostgreSQL each chunk's claim, made one chunk ahead, is its fence: sent_marks.py.)
    """
    rows = db.session.execute(
        select(Delivery.id, Delivery.lease_until).where(
            among(Delivery.id, [c.id for c in copies]),
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.lease_owner == lease_id,
        )
    ).all()
    lease = _lease_seconds()
    enough = utcnow() + timedelta(seconds=lease - 2 * heartbeat_seconds(lease))
    if any(row.lease_until is None or row.lease_until < enough for row in rows):
        return renew_lease(copies, lease_id, commit=False)
    held = {row.id for row in rows}
    return [c for c in copies if c.id in held]
