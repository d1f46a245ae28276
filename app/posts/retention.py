"""Retention: delete old delivery rows and drop the bytes of old settled posts (`mailflow purge`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.models.timestamps import utcnow

BATCH = 5000  # rows per statement: short transactions, no long lock on a busy table
SETTLED_COPIES = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED)
# Posts nobody will act on again; held, shunted and in-flight posts keep their bytes whatever their age.
SETTLED_POSTS = (PostStatus.DISTRIBUTED, PostStatus.UNDELIVERED, PostStatus.REJECTED, PostStatus.DISCARDED)
PURGED = b""


@dataclass(frozen=True)
class Purged:
    deliveries: int = 0
    raw_posts: int = 0


def _old_copies(days: int):
    cutoff = utcnow() - timedelta(days=days)
    return (
        select(Delivery.id)
        .where(Delivery.status.in_(SETTLED_COPIES), Delivery.created_at < cutoff)
        .order_by(Delivery.id)
    )


def _old_posts(days: int):
    cutoff = utcnow() - timedelta(days=days)
    return (
        select(Post.id)
        .where(Post.status.in_(SETTLED_POSTS), Post.received_at < cutoff, func.length(Post.raw) > 0)
        .order_by(Post.id)
    )


def count(deliveries_days: int | None, raw_days: int | None) -> Purged:
    """What a purge with these ages would remove (for --dry-run)."""
    return Purged(_count(_old_copies, deliveries_days), _count(_old_posts, raw_days))


def _count(chosen, days: int | None) -> int:
    if not days:
        return 0
    return db.session.scalar(select(func.count()).select_from(chosen(days).order_by(None).subquery())) or 0


def purge(deliveries_days: int | None, raw_days: int | None) -> Purged:
    """Delete settled copies older than deliveries_days; empty raw and prepared bytes of settled posts
    older than raw_days (the post's row, subject and outcome stay for the panel's post log)."""
    copies = _in_batches(
        lambda ids: delete(Delivery).where(Delivery.id.in_(ids)), _old_copies, deliveries_days
    )
    posts = _in_batches(
        lambda ids: (
            update(Post).where(Post.id.in_(ids)).values(raw=PURGED, prepared=None, prepared_layout=None)
        ),
        _old_posts,
        raw_days,
    )
    return Purged(copies, posts)


def _in_batches(statement, chosen, days: int | None) -> int:
    if not days:
        return 0
    done = 0
    while ids := list(db.session.scalars(chosen(days).limit(BATCH))):
        db.session.execute(statement(ids).execution_options(synchronize_session=False))
        db.session.commit()
        done += len(ids)
    return done
