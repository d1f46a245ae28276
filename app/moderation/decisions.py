"""A moderator's decision on a held post (the panel calls these): approve re-runs it, reject/discard end it."""

from __future__ import annotations

import logging

from app.extensions import db
from app.jobs.queues import enqueue_posts
from app.models import Post, PostStatus
from app.models.audit import record
from app.models.timestamps import utcnow
from app.pipeline.dispositions import notify_sender
from app.pipeline.rules.approval import ModeratorDecision

log = logging.getLogger(__name__)


class NotHeld(ValueError):
    """Only a held post can be decided on; the message says what it is instead."""


def _decide(post: Post, decision: ModeratorDecision, user_id: int | None, actor: str, note: str = "") -> None:
    if post.status != PostStatus.HELD:
        raise NotHeld(f"post {post.id} is {post.status}, not held")
    post.moderator_decision = decision.value
    post.moderated_by, post.moderated_at = user_id, utcnow()
    details = {"note": note} if note else {}
    record(f"post.{decision.value}", actor, "post", post.id, post.list_id, user_id=user_id, **details)
    log.info("post %s: %s by %s", post.id, decision.value, actor or "a moderator", extra={"post_id": post.id})


def approve(post: Post, user_id: int | None = None, actor: str = "", note: str = "") -> bool:
    """Approve a held post: it goes through moderation again, where the `approved` rule accepts it.

    Returns whether it reached a queue (if not, it is stored as received and the reconciler enqueues it).
    """
    _decide(post, ModeratorDecision.APPROVE, user_id, actor, note)
    post.status, post.queued_at = PostStatus.RECEIVED, None
    db.session.commit()
    return enqueue_posts([post.id])


def reject(post: Post, reason: str, user_id: int | None = None, actor: str = "", note: str = "") -> bool:
    """Reject a held post with a reason the sender is told (unless the sender is an automaton).

    Returns whether the sender was sent a notice.
    """
    _decide(post, ModeratorDecision.REJECT, user_id, actor, note)
    post.status, post.decision = PostStatus.REJECTED, "reject"
    post.decision_reason = reason or "A moderator rejected the post."
    db.session.commit()
    return notify_sender(post)


def discard(post: Post, user_id: int | None = None, actor: str = "", note: str = "") -> None:
    """Discard a held post; only the record remains (a note goes into the audit entry)."""
    _decide(post, ModeratorDecision.DISCARD, user_id, actor, note)
    post.status, post.decision = PostStatus.DISCARDED, "discard"
    post.decision_reason = "A moderator discarded the post."
    db.session.commit()
