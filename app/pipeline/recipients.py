"""Fan-out: one delivery row per active member, then delivery jobs in batches."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib import import_module
from typing import cast

from flask import current_app
from sqlalchemy import ColumnElement, Executable, Select, and_, func, literal, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.jobs.queues import Job, enqueue_many, job_size
from app.membership.delivery import receives_digests, receives_posts, withheld_counts
from app.membership.insert import COUNTED
from app.metrics.instruments import post_distributed
from app.models import (
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    DigestIssue,
    Member,
    Post,
    PostSource,
    PostStatus,
)
from app.models.timestamps import utcnow
from app.webhooks.events import WebhookEvent, emit, post_data

log = logging.getLogger(__name__)

JOBS_PER_ROUND = 100  # delivery jobs enqueued per Redis round trip during a fan-out
ANALYZE_AFTER_ROWS = 20_000  # a fan-out at least this big refreshes the table's statistics (PostgreSQL)
ANALYZE = "ANALYZE deliveries"
DELIVERY_COLUMNS = (
    "post_id",
    "member_id",
    "recipient",
    "status",
    "attempts",
    "provider_message_id",
    "last_error",
    "created_at",
)


def create_deliveries(post: Post) -> None:
    """Insert the missing (post, member) rows for every member who receives mail, in one statement; idempotent.

    The first fan-out of a post inserts plainly; a later one (a job run again) skips the rows that exist
    (ON CONFLICT DO NOTHING), which costs PostgreSQL a quarter more per row (docs/benchmarks.md). Rows another
    run inserted after the first one looked break the unique (post, member) key: then the skipping insert
    runs instead. (An anti-join against deliveries did the same, but on a freshly loaded table PostgreSQL
    planned it badly: 9 s for 10,000 members before ANALYZE, 0.3 s after.)
    """
    chosen = select(
        literal(post.id),
        Member.id,
        Member.email,
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal(""),
        literal(""),
        literal(utcnow()),
    ).where(Member.list_id == post.list_id, receives(post))
    if has_deliveries(post.id):
        inserted = _insert(chosen, skip_existing=True)
    else:
        try:
            with db.session.begin_nested():
                inserted = _insert(chosen, skip_existing=False)
        except IntegrityError:
            inserted = _insert(chosen, skip_existing=True)
    if post.withheld is None and post.source != PostSource.DIGEST:
        post.withheld = withheld_counts(post.list_id, utcnow().date())
    db.session.commit()
    refresh_statistics(inserted)


def _insert(chosen: Select, skip_existing: bool) -> int:
    """Run the insert; the number of rows it added."""
    statement = insert_statement(chosen, skip_existing)
    return cast(CursorResult, db.session.execute(statement, execution_options=COUNTED)).rowcount


def refresh_statistics(inserted: int) -> None:
    """PostgreSQL, after a big fan-out: ANALYZE deliveries, so the planner knows most rows are pending now.

    With statistics from before (pending rows all but absent), PostgreSQL took "status = 'pending'" for a
    rare value and read every pending row's index entry to find a job's few: 271 ms a statement at
    1,000,000 copies instead of 0.1 ms (docs/benchmarks.md). ANALYZE reads a sample of 30,000 rows.
    """
    if inserted < ANALYZE_AFTER_ROWS or db.session.get_bind().dialect.name != "postgresql":
        return
    try:
        db.session.execute(text(ANALYZE))
        db.session.commit()
    except SQLAlchemyError:  # the rows are in: a fan-out never fails for want of fresh statistics
        db.session.rollback()
        log.warning("%s after a fan-out of %d copies failed; the copies go out anyway", ANALYZE, inserted)


def has_deliveries(post_id: int) -> bool:
    """Whether any delivery row of the post exists (an index probe)."""
    return db.session.scalar(select(Delivery.id).where(Delivery.post_id == post_id).limit(1)) is not None


def receives(post: Post) -> ColumnElement[bool]:
    """Which members get this post: regular ones, or for a digest issue those reading its format."""
    today = utcnow().date()
    if post.source != PostSource.DIGEST:
        return receives_posts(today)
    issue = db.session.scalar(select(DigestIssue).where(DigestIssue.plain_post_id == post.id))
    mode = DeliveryMode.PLAIN_DIGEST if issue is not None else DeliveryMode.MIME_DIGEST
    return and_(receives_digests(today), Member.delivery_mode == mode)


def insert_statement(chosen: Select, skip_existing: bool) -> Executable:
    """INSERT ... SELECT of delivery rows; with skip_existing, rows whose (post, member) exists are skipped."""
    # Both supported databases (sqlite, postgresql) have INSERT ... ON CONFLICT DO NOTHING.
    dialect = import_module(f"sqlalchemy.dialects.{db.session.get_bind().dialect.name}")
    statement = dialect.insert(Delivery).from_select(DELIVERY_COLUMNS, chosen)
    return (
        statement.on_conflict_do_nothing(index_elements=["post_id", "member_id"])
        if skip_existing
        else statement
    )


def pending_batches(post_id: int, most: int) -> Iterator[list[list[int]]]:
    """The post's pending delivery ids in jobs (queues.job_size), JOBS_PER_ROUND jobs at a time.

    Streamed from the database: a million ids held at once cost the fan-out job ~100 MB. Read as plain
    column values (Core, not the ORM's loading): 0.97 s → 0.3 s for 100,000 ids (docs/benchmarks.md).
    """
    pending = (Delivery.post_id == post_id, Delivery.status == DeliveryStatus.PENDING)
    size = job_size(db.session.scalar(select(func.count()).where(*pending)) or 0, most)
    query = select(Delivery.id).where(*pending).order_by(Delivery.id)
    ids = db.session.connection().execute(query.execution_options(yield_per=size * JOBS_PER_ROUND)).scalars()
    for group in ids.partitions():
        yield [list(group[start : start + size]) for start in range(0, len(group), size)]


def fan_out(post: Post) -> None:
    """Create the deliveries and enqueue their jobs, a round trip per JOBS_PER_ROUND; no recipients: done at once."""
    create_deliveries(post)
    settings = current_app.config["MAILFLOW"]
    queued = 0
    for jobs in pending_batches(post.id, settings.DELIVERY_BATCH_SIZE):
        enqueue_many(Job.DELIVER, [(post.id, batch) for batch in jobs])
        queued += len(jobs)
    if not queued:
        finish_if_done(post.id)


def finish_if_done(post_id: int) -> None:
    """Once no copy is pending or being sent: distributed if any copy went out, else undelivered; log a summary."""
    open_copies = db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.post_id == post_id,
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
        .limit(1)
    )
    if open_copies is not None:
        return
    post = db.session.get(Post, post_id)
    if post is None or post.status != PostStatus.DISTRIBUTING:
        return
    counts = delivery_counts(post_id)
    sent = counts.get(DeliveryStatus.SENT, 0)
    post.status = PostStatus.DISTRIBUTED if sent or not counts else PostStatus.UNDELIVERED
    post.distributed_at = utcnow()
    if post.status == PostStatus.DISTRIBUTED and post.source != PostSource.DIGEST:
        emit(WebhookEvent.POST_DISTRIBUTED, post.list_id, post_data(post))
    db.session.commit()
    if post.status == PostStatus.DISTRIBUTED:
        post_distributed(post.source, (post.distributed_at - post.received_at).total_seconds())
    log.info(
        "post %s to %s %s: %d copies sent, %d failed, %d bounced",
        post_id,
        post.mailing_list.address,
        post.status,
        sent,
        counts.get(DeliveryStatus.FAILED, 0),
        counts.get(DeliveryStatus.BOUNCED, 0),
    )


def delivery_counts(post_id: int) -> dict[str, int]:
    """The post's copies by status."""
    rows = db.session.execute(
        select(Delivery.status, func.count()).where(Delivery.post_id == post_id).group_by(Delivery.status)
    )
    return {status: count for status, count in rows}
