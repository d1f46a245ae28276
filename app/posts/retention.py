"""Retention: delete old delivery rows and drop the bytes of old settled posts and old bounces.

`mailflow purge` applies ages given on its command line to every list; a list's own `raw_retention_days`
is applied by `mailflow purge --by-list-settings` and by the reconciler once an hour. A distributed post of
a list with an archive keeps its bytes until the archive holds its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, func, or_, select, update

from app.extensions import db
from app.models import (
    ArchivedMessage,
    ArchivePolicy,
    Bounce,
    Delivery,
    DeliveryStatus,
    MailingList,
    Post,
    PostStatus,
)
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
    raw_bounces: int = 0


def _old_copies(days: int):
    cutoff = utcnow() - timedelta(days=days)
    return (
        select(Delivery.id)
        .where(Delivery.status.in_(SETTLED_COPIES), Delivery.created_at < cutoff)
        .order_by(Delivery.id)
    )


def _archive_has_it():
    """A post the archive does not need: its list keeps none, it was never distributed, or it is archived."""
    no_archive = select(MailingList.id).where(MailingList.archive_policy == ArchivePolicy.NONE)
    return or_(
        Post.status != PostStatus.DISTRIBUTED,
        Post.list_id.in_(no_archive),
        exists().where(ArchivedMessage.post_id == Post.id),
    )


def _old_posts(days: int, list_id: int | None = None):
    cutoff = utcnow() - timedelta(days=days)
    query = select(Post.id).where(
        Post.status.in_(SETTLED_POSTS),
        Post.received_at < cutoff,
        func.length(Post.raw) > 0,
        _archive_has_it(),
    )
    if list_id is not None:
        query = query.where(Post.list_id == list_id)
    return query.order_by(Post.id)


def _old_bounces(days: int, list_id: int | None = None):
    cutoff = utcnow() - timedelta(days=days)
    query = select(Bounce.id).where(Bounce.created_at < cutoff, Bounce.raw.is_not(None))
    if list_id is not None:
        query = query.where(Bounce.list_id == list_id)
    return query.order_by(Bounce.id)


def count(deliveries_days: int | None, raw_days: int | None, bounce_days: int | None = None) -> Purged:
    """What a purge with these ages would remove (for --dry-run)."""
    return Purged(
        _count(_old_copies, deliveries_days), _count(_old_posts, raw_days), _count(_old_bounces, bounce_days)
    )


def _count(chosen, days: int | None) -> int:
    if not days:
        return 0
    return db.session.scalar(select(func.count()).select_from(chosen(days).order_by(None).subquery())) or 0


def _drop_post_bytes(ids):
    return update(Post).where(Post.id.in_(ids)).values(raw=PURGED, prepared=None, prepared_layout=None)


def _drop_bounce_bytes(ids):
    return update(Bounce).where(Bounce.id.in_(ids)).values(raw=None)


def purge(deliveries_days: int | None, raw_days: int | None, bounce_days: int | None = None) -> Purged:
    """Delete settled copies older than deliveries_days; empty raw and prepared bytes of settled posts
    older than raw_days (the post's row, subject and outcome stay for the panel's post log); drop the
    notification bytes of bounces older than bounce_days (kind, diagnostic and score stay)."""
    copies = _in_batches(
        lambda ids: delete(Delivery).where(Delivery.id.in_(ids)), _old_copies, deliveries_days
    )
    posts = _in_batches(_drop_post_bytes, _old_posts, raw_days)
    return Purged(copies, posts, _in_batches(_drop_bounce_bytes, _old_bounces, bounce_days))


def purge_by_list_settings() -> Purged:
    """Each list's raw_retention_days applied to its posts' and bounces' bytes."""
    posts = bounces = 0
    lists = db.session.execute(
        select(MailingList.id, MailingList.raw_retention_days).where(MailingList.raw_retention_days > 0)
    ).all()
    for list_id, days in lists:
        posts += _in_batches(_drop_post_bytes, lambda d, i=list_id: _old_posts(d, i), days)
        bounces += _in_batches(_drop_bounce_bytes, lambda d, i=list_id: _old_bounces(d, i), days)
    return Purged(0, posts, bounces)


def _in_batches(statement, chosen, days: int | None) -> int:
    if not days:
        return 0
    done = 0
    while ids := list(db.session.scalars(chosen(days).limit(BATCH))):
        db.session.execute(statement(ids).execution_options(synchronize_session=False))
        db.session.commit()
        done += len(ids)
    return done
