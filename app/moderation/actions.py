"""What a moderator does to a held post, from the panel or the CLI: canned reasons, allow-listing and banning
on top of the pipeline's own decisions (app/moderation/decisions.py), which the `approved` rule relies on."""

from __future__ import annotations

from app.models import Post, PostStatus
from app.models.audit import Actor, record_by
from app.moderation import decisions
from app.moderation.bans import allow_address, ban_address
from app.moderation.decisions import NotHeld

__all__ = ["CANNED_REASONS", "NotHeld", "approve", "ban_sender", "discard", "reject"]

CANNED_REASONS: dict[str, str] = {
    "off-topic": "Your message is off-topic for this list.",
    "members-only": "Only members of the list may post to it; please subscribe first.",
    "too-large": "Your message is too large for this list; please send a link instead of attachments.",
    "duplicate": "Your message repeats one already posted.",
}


def approve(post: Post, actor: Actor, always_allow: bool = False, note: str = "") -> bool:
    """Approve a held post (it goes back through the pipeline); optionally always allow its sender.

    Returns whether it reached a queue (if not, the reconciler enqueues it later).
    """
    sender = (post.sender or post.mail_from).lower()
    if always_allow and sender and post.status == PostStatus.HELD:
        allow_address(post.list_id, sender)  # the exact address, never a pattern (issue 12 item 2)
        record_by(actor, "sender.allow", "list", post.list_id, post.list_id, sender=sender)
    return decisions.approve(post, actor.user_id, actor.name, note)


def reject(post: Post, actor: Actor, reason: str, note: str = "") -> bool:
    """Reject a held post with a canned or custom reason; True when the sender was sent a notice."""
    reason = CANNED_REASONS.get(reason, reason).strip() or CANNED_REASONS["off-topic"]
    return decisions.reject(post, reason, actor.user_id, actor.name, note)


def discard(post: Post, actor: Actor, note: str = "") -> None:
    """Throw a held post away without telling the sender."""
    decisions.discard(post, actor.user_id, actor.name, note)


def ban_sender(post: Post, actor: Actor, note: str = "") -> str:
    """Ban the post's sender from the list and discard the post; returns the banned address."""
    address = (post.sender or post.mail_from).lower()
    if address and post.status == PostStatus.HELD:
        ban_address(post.list_id, address)  # the exact address, never a pattern (issue 12 item 2)
        record_by(actor, "sender.ban", "list", post.list_id, post.list_id, sender=address)
    discard(post, actor, note)
    return address
