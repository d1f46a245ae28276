"""What follows a decision: moderators hear of held posts, senders of rejected ones; discards are recorded only."""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.lists.staff import active_staff
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.headersafety import clean
from app.models import Post, PostStatus
from app.sysmail.notices import build_notice, may_auto_reply, send_notice, sender_forged

log = logging.getLogger(__name__)


def moderation_url(post_id: int) -> str:
    """The panel page where a moderator decides about a held post."""
    return f"{current_app.config['MAILFLOW'].PUBLIC_URL}/moderation/{post_id}"


def dispose(post: Post) -> None:
    """Send the notices a decision calls for; a failed notice is logged, the decision stands."""
    try:
        if post.status == PostStatus.HELD:
            notify_moderators(post)
        elif post.status == PostStatus.REJECTED:
            notify_sender(post)
    except Exception:
        db.session.rollback()
        log.exception("post %s: notice about the %s decision not sent", post.id, post.status)


def notify_moderators(post: Post) -> int:
    """Each owner and moderator gets a notice linking to the post in the panel; returns how many were sent."""
    mlist = post.mailing_list
    subject = clean(post.subject) or "(no subject)"
    body = (
        f"A post to {mlist.address} is waiting for a moderator.\n\n"
        f"From:    {clean(post.sender or post.mail_from) or '(unknown)'}\n"
        f"Subject: {subject}\n\nWhy it was held:\n"
        + "".join(f"  - {reason}\n" for reason in post.hold_reasons or [post.decision_reason])
        + f"\nApprove, reject or discard it here:\n{moderation_url(post.id)}\n\n"
        f"Unless someone decides, it is discarded after {mlist.hold_days or 14} days.\n"
    )
    sent = 0
    told = active_staff(mlist.id)
    if not told:
        log.warning(
            "post %s to %s is held and the list has no owner or moderator to tell: give it one with "
            "`mailflow users grant EMAIL LIST owner` or in the panel, and decide the post at %s",
            post.id,
            mlist.address,
            moderation_url(post.id),
        )
    for address in told:
        notice = build_notice(
            mlist,
            address,
            f"[{mlist.name}] Held for moderation: {subject}"[:200],
            body,
            auto="auto-generated",
        )
        sent += send_notice(mlist, notice)
    return sent


def notify_sender(post: Post) -> bool:
    """Tell the envelope sender why the post was rejected, unless that would answer an automaton."""
    if not may_auto_reply(post.mail_from, post.raw) or sender_forged(post.raw):
        return False
    try:
        address = normalise_address(post.mail_from.strip().strip("<>"))
    except InvalidAddress:
        return False
    mlist = post.mailing_list
    subject = clean(post.subject) or "(no subject)"
    body = (
        f"Your post to {mlist.address} was rejected.\n\nSubject: {subject}\n"
        f"Reason:  {clean(post.decision_reason)}\n\nNothing was sent to the list's members.\n"
    )
    in_reply_to = post.message_id if post.message_id.startswith("<") else ""
    notice = build_notice(
        mlist,
        address,
        f"Your post to {mlist.name} was rejected: {subject}"[:200],
        body,
        in_reply_to=clean(in_reply_to),
    )
    return send_notice(mlist, notice)
