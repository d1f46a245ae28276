"""What follows a decision: moderators hear of held posts, senders of rejected ones; discards are recorded only."""

from __future__ import annotations

import logging

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.headersafety import clean
from app.models import Post, PostStatus
from app.sysmail.notices import build_notice, may_auto_reply, send_notice, sender_forged
from app.sysmail.staff_notices import announce_post

log = logging.getLogger(__name__)


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
    """Each active owner and moderator who wants each post gets a notice they can answer by mail (the rest
    get it in their summary); returns how many were sent."""
    return announce_post(post)


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
