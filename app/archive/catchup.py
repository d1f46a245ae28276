"""Distributed posts missing from their list's archive get archived: nothing is silently left out."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, select

from app.archive.store import archive_post_safely
from app.extensions import db
from app.models import ArchivedMessage, ArchivePolicy, MailingList, Post, PostSource, PostStatus
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
LOOK_BACK = timedelta(days=7)  # older gaps are closed by `mailflow archive rebuild LIST`
BATCH = 200


def missing_posts(list_id: int | None = None, since=None, limit: int = BATCH) -> list[int]:
    """Ids of prepared posts (distributing or distributed) whose list keeps an archive but which have no row."""
    query = (
        select(Post.id)
        .join(MailingList, MailingList.id == Post.list_id)
        .where(
            Post.role == "post",
            Post.source != PostSource.DIGEST,
            Post.status.in_((PostStatus.DISTRIBUTING, PostStatus.DISTRIBUTED)),
            Post.prepared.is_not(None),
            MailingList.archive_policy != ArchivePolicy.NONE,
            ~exists().where(ArchivedMessage.post_id == Post.id),
        )
        .order_by(Post.id)
        .limit(limit)
    )
    if list_id is not None:
        query = query.where(Post.list_id == list_id)
    if since is not None:
        query = query.where(Post.received_at >= since)
    return list(db.session.scalars(query))


def archive_missing(list_id: int | None = None, look_back: timedelta | None = LOOK_BACK) -> int:
    """Archive what is missing (the last week's posts, or all of one list's); returns how many were archived."""
    since = utcnow() - look_back if look_back is not None else None
    done, failed = 0, set()
    while True:
        ids = [i for i in missing_posts(list_id, since) if i not in failed]
        if not ids:
            return done
        for post_id in ids:
            post = db.session.get(Post, post_id)
            if post is not None and archive_post_safely(post) is not None:
                done += 1
            else:
                failed.add(post_id)
        db.session.commit()
        if len(failed) >= BATCH:
            return done
