"""Posts waiting for their list's next digest: noted when a post is prepared, taken by one issue."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select

from app.extensions import db
from app.models import ArchivedMessage, DigestEntry, Post
from app.models.timestamps import utcnow


def note_post(post: Post) -> None:
    """Queue a post being distributed for the next digest, in the caller's transaction (once per post)."""
    if db.session.get(DigestEntry, post.id) is None:
        db.session.add(
            DigestEntry(
                post_id=post.id, list_id=post.list_id, size=len(post.prepared or b""), created_at=utcnow()
            )
        )


def removed_from_archive() -> ColumnElement[bool]:
    """An entry whose post an owner removed from the archive: no digest not yet built carries it."""
    return exists().where(
        ArchivedMessage.post_id == DigestEntry.post_id, ArchivedMessage.removed_at.is_not(None)
    )


def waiting_post_ids(list_id: int) -> list[int]:
    """Posts for the next issue, in the order they were distributed; those removed from the archive are left out."""
    return list(
        db.session.scalars(
            select(DigestEntry.post_id)
            .join(Post, Post.id == DigestEntry.post_id)
            .where(DigestEntry.list_id == list_id, DigestEntry.issue_id.is_(None), ~removed_from_archive())
            .order_by(DigestEntry.created_at, DigestEntry.post_id)
        )
    )


def waiting_summary(list_id: int) -> tuple[int, int, object]:
    """How many posts wait, their prepared size in bytes, and when the oldest was noted (None: nothing waits)."""
    count, size, oldest = db.session.execute(
        select(
            func.count(), func.coalesce(func.sum(DigestEntry.size), 0), func.min(DigestEntry.created_at)
        ).where(DigestEntry.list_id == list_id, DigestEntry.issue_id.is_(None), ~removed_from_archive())
    ).one()
    return int(count), int(size), oldest
