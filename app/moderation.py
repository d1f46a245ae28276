"""What a moderator does to a held post: approve, reject, discard, ban. The panel calls these; the pipeline's
`approved` rule relies on `moderator_decision == "approve"` to let an approved post through."""

from __future__ import annotations

import enum
import logging

from app.extensions import db
from app.models import AllowedSender, Ban, Post, PostStatus, User
from app.models.audit import record
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DISCARD = "discard"


CANNED_REASONS: dict[str, str] = {
    "off-topic": "Your message is off-topic for this list.",
    "members-only": "Only members of the list may post to it; please subscribe first.",
    "too-large": "Your message is too large for this list; please send a link instead of attachments.",
    "duplicate": "Your message repeats one already posted.",
}


class NotHeld(ValueError):
    """The post is not waiting for a moderator (someone else decided first)."""


def _decide(post: Post, user: User, decision: Decision, reason: str = "") -> None:
    if post.status != PostStatus.HELD:
        raise NotHeld(f"post {post.id} is {post.status}, not held")
    post.moderator_decision = decision.value
    post.moderated_by = user.id
    post.moderated_at = utcnow()
    post.decision_reason = reason or post.decision_reason
    record(f"post.{decision.value}", user.email, "post", post.id, post.list_id, user.id,
           subject=post.subject[:200], sender=post.sender or post.mail_from, reason=reason)


def approve(post: Post, user: User, always_allow: bool = False) -> None:
    """Approve a held post: it goes back through the pipeline, where the `approved` rule accepts it."""
    from app.jobs import process_post
    from app.queues import QueueName, enqueue

    _decide(post, user, Decision.APPROVE)
    if always_allow and (post.sender or post.mail_from):
        db.session.add(AllowedSender(list_id=post.list_id, pattern=(post.sender or post.mail_from).lower()))
        record("sender.allow", user.email, "list", post.list_id, post.list_id, user.id, sender=post.sender)
    post.status = PostStatus.RECEIVED
    db.session.commit()
    enqueue(process_post, post.id, queue=QueueName.POSTS)


def reject(post: Post, user: User, reason: str) -> bool:
    """Reject a held post and tell the sender why; True when the notice was sent."""
    from app.notices import build_notice, may_auto_reply, send_notice

    reason = CANNED_REASONS.get(reason, reason).strip() or CANNED_REASONS["off-topic"]
    _decide(post, user, Decision.REJECT, reason)
    post.status = PostStatus.REJECTED
    db.session.commit()
    to = post.sender or post.mail_from
    if not to or not may_auto_reply(post.mail_from, post.raw):
        log.info("post %s rejected; no notice to %r (automatic or null sender)", post.id, to)
        return False
    mlist = post.mailing_list
    body = (f"Your message to {mlist.address} with the subject\n\n    {post.subject}\n\n"
            f"was rejected by the list moderator.\n\nReason: {reason}\n")
    notice = build_notice(mlist, to, f"Your message to {mlist.name} was rejected", body,
                          in_reply_to=post.message_id if post.message_id.startswith("<") else "")
    return send_notice(mlist, notice)


def discard(post: Post, user: User) -> None:
    """Throw a held post away without telling the sender."""
    _decide(post, user, Decision.DISCARD)
    post.status = PostStatus.DISCARDED
    db.session.commit()


def ban_sender(post: Post, user: User) -> str:
    """Ban the post's sender from the list and discard the post; returns the banned address."""
    address = (post.sender or post.mail_from).lower()
    if address:
        db.session.add(Ban(list_id=post.list_id, pattern=address))
        record("sender.ban", user.email, "list", post.list_id, post.list_id, user.id, sender=address)
    discard(post, user)
    return address
