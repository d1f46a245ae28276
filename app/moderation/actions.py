"""What a moderator does to a held post from the panel: canned reasons, allow-listing and banning on top of
the pipeline's own decisions (app/moderation/decisions.py), which the `approved` rule relies on."""

from __future__ import annotations

from app.models import Post, User
from app.models.audit import record
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


def approve(post: Post, user: User, always_allow: bool = False) -> None:
    """Approve a held post (it goes back through the pipeline); optionally always allow its sender."""
    sender = (post.sender or post.mail_from).lower()
    if always_allow and sender and post.status == "held":
        allow_address(post.list_id, sender)  # the exact address, never a pattern (issue 12 item 2)
        record("sender.allow", user.email, "list", post.list_id, post.list_id, user.id, sender=sender)
    decisions.approve(post, user.id, user.email)


def reject(post: Post, user: User, reason: str) -> bool:
    """Reject a held post with a canned or custom reason; True when the sender was sent a notice."""
    reason = CANNED_REASONS.get(reason, reason).strip() or CANNED_REASONS["off-topic"]
    return decisions.reject(post, reason, user.id, user.email)


def discard(post: Post, user: User) -> None:
    """Throw a held post away without telling the sender."""
    decisions.discard(post, user.id, user.email)


def ban_sender(post: Post, user: User) -> str:
    """Ban the post's sender from the list and discard the post; returns the banned address."""
    address = (post.sender or post.mail_from).lower()
    if address and post.status == "held":
        ban_address(post.list_id, address)  # the exact address, never a pattern (issue 12 item 2)
        record("sender.ban", user.email, "list", post.list_id, post.list_id, user.id, sender=address)
    discard(post, user)
    return address
