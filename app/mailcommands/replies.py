"""Role mail in two steps: decide (apply the command, store the reply), then send the stored reply.

A post to a role address moves RECEIVED -> ACCEPTED (the reply is in `prepared`) -> DISTRIBUTED (sent).
A temporary send failure leaves it ACCEPTED and retries later; running a step twice does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.policy import SMTP

from flask import current_app

from app.egress import Outgoing, make_sender
from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.rawmessage import RawMessage
from app.models import MailingList, Post, PostStatus
from app.models.timestamps import utcnow
from app.sysmail.notices import allow_notice, build_notice, may_auto_reply, sender_forged

log = logging.getLogger(__name__)
RETRY_DELAYS = (60, 300, 900, 3600, 4 * 3600)  # seconds before each new attempt to send a reply
ATTEMPT_MARK = "reply not sent:"
NOT_FOR_AUTOMATA = "automatic mail or a null sender: no command run, no reply (RFC 3834)"
FORGED = "our mail server says SPF or DMARC failed: the sender may be forged, so no command run, no reply"
CAPPED = "the daily limit of automatic mail to the sender is reached: no command run, no reply"


@dataclass(frozen=True)
class Reply:
    """What to answer: to the sender, about the request. summary goes on the post for the panel."""

    subject: str
    body: str
    summary: str
    reply_to: str = ""


Work = Callable[[Post, MailingList, str], Reply]


def handle(post: Post, work: Work) -> None:
    """Decide once and send the stored reply; safe to run again for the same post."""
    if post.status == PostStatus.RECEIVED:
        decide(post, work)
    if post.status == PostStatus.ACCEPTED:
        send_stored(post)


def finish(post: Post, status: PostStatus, reason: str) -> None:
    """Record the outcome of role mail that needs no reply (or whose reply went)."""
    post.status, post.decision_reason = status, reason
    post.decided_at = post.decided_at or utcnow()
    if status == PostStatus.DISTRIBUTED:
        post.distributed_at = utcnow()
    db.session.commit()


def decide(post: Post, work: Work) -> None:
    """Run the command for the envelope sender and keep the reply, unless the mail is automatic."""
    if not may_auto_reply(post.mail_from, post.raw):
        finish(post, PostStatus.DISCARDED, NOT_FOR_AUTOMATA)
        return
    if sender_forged(post.raw):
        finish(post, PostStatus.DISCARDED, FORGED)
        return
    try:
        sender = normalise_address(post.mail_from)
    except InvalidAddress as exc:
        finish(post, PostStatus.DISCARDED, f"unusable sender address: {exc}")
        return
    if not allow_notice(sender):  # the one daily cap of automatic mail per address (app/sysmail/notices.py)
        finish(post, PostStatus.DISCARDED, CAPPED)
        return
    mlist = post.mailing_list
    reply = work(post, mlist, sender)
    subject = reply.subject if reply.subject.isascii() else f"Your request to {mlist.address}"
    notice = build_notice(
        mlist, sender, subject, reply.body, in_reply_to=post.message_id, reply_to=reply.reply_to
    )
    post.prepared = notice.as_bytes(policy=SMTP)
    post.decision, post.decision_reason, post.decided_at = "accept", reply.summary, utcnow()
    post.status = PostStatus.ACCEPTED
    db.session.commit()


def send_stored(post: Post) -> None:
    """Send the reply kept on the post; a temporary failure is retried with growing delays."""
    to = RawMessage.parse(post.prepared or b"").get("To") or ""
    sender = make_sender(current_app.config["MAILFLOW"])
    try:
        result = sender.send(
            [Outgoing(0, post.mailing_list.role_address("bounces"), to, post.prepared or b"")]
        )[0]
    finally:
        sender.close()
    if result.ok or result.permanent:
        if not result.ok:
            post.error = f"{post.error}reply refused for good: {result.error}\n"
        finish(post, PostStatus.DISTRIBUTED, post.decision_reason)
        return
    attempts = post.error.count(ATTEMPT_MARK) + 1
    post.error = f"{post.error}{ATTEMPT_MARK} {result.error}\n"
    db.session.commit()
    if attempts > len(RETRY_DELAYS):
        log.error("post %s: reply to %s failed %d times; giving up", post.id, to, attempts)
        finish(post, PostStatus.SHUNTED, f"{post.decision_reason}; the reply could not be sent")
        return
    retry_later(post.id, RETRY_DELAYS[attempts - 1])


def retry_later(post_id: int, delay: float) -> None:
    """Process the post again after delay seconds (RQ's scheduler; in-process without Redis)."""
    from app.jobs.queues import QueueName, enqueue
    from app.jobs.tasks import process_post

    log.warning("post %s: reply not sent, trying again in %ss", post_id, delay)
    enqueue(process_post, post_id, queue=QueueName.POSTS, delay=delay)
