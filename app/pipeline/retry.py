"""Re-run a shunted post from the phase it had reached (panel button and `mailflow posts retry`)."""

from __future__ import annotations

from app.extensions import db
from app.jobs.queues import enqueue_posts
from app.models import Post, PostStatus
from app.models.audit import CLI, Actor, record_by


class RetryRefused(ValueError):
    """The post does not exist or is not shunted; the message says which."""


def restart_status(post: Post) -> PostStatus:
    """Where a shunted post starts again: fan-out if it was prepared, prepare if accepted, else moderation."""
    if post.prepared is not None:
        return PostStatus.DISTRIBUTING
    if post.decision == "accept":
        return PostStatus.ACCEPTED
    return PostStatus.RECEIVED


def retry_post(post_id: int, actor: Actor = CLI) -> tuple[PostStatus, bool]:
    """Put a shunted post back in the pipeline; returns its new status and whether it reached a queue."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise RetryRefused(f"there is no post {post_id}")
    if post.status != PostStatus.SHUNTED:
        raise RetryRefused(f"post {post_id} is {post.status}, not shunted")
    post.status = restart_status(post)
    post.queued_at = None
    record_by(actor, "post.retry", "post", post.id, post.list_id, status=post.status)
    db.session.commit()
    return PostStatus(post.status), enqueue_posts([post.id])
