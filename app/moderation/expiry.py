"""Held posts nobody decided about are discarded after the list's hold_days, with a record."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Post, PostStatus
from app.models.audit import record
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
DEFAULT_HOLD_DAYS = 14


def expire_held(now: datetime | None = None) -> int:
    """Discard every held post older than its list's hold_days; returns how many."""
    now = now or utcnow()
    expired = 0
    for post in db.session.scalars(select(Post).where(Post.status == PostStatus.HELD).order_by(Post.id)):
        days = post.mailing_list.hold_days or DEFAULT_HOLD_DAYS
        since = post.decided_at or post.received_at
        if since + timedelta(days=days) > now:
            continue
        post.status = PostStatus.DISCARDED
        post.decision = "discard"
        post.decision_reason = f"Held for {days} days without a moderator's decision: discarded."
        post.decided_at = now
        record("post.expired", "system", "post", post.id, post.list_id, hold_days=days)
        expired += 1
    db.session.commit()
    if expired:
        log.info("discarded %d held posts past their lists' hold_days", expired)
    return expired
