"""Role mail in two steps: decide (apply the command, keep the reply), then hand the reply to the outbox.

A post to a role address moves RECEIVED -> ACCEPTED (the reply is in `prepared`) -> DISTRIBUTED (the reply
is in the outbox, which sends it and retries a temporary failure). Running a step twice does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.policy import SMTP

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.rawmessage import RawMessage
from app.models import MailingList, Post, PostStatus, SystemMailKind
from app.models.timestamps import utcnow
from app.sysmail.notices import allow_notice, build_notice, may_auto_reply, sender_forged
from app.sysmail.outbox import send_stored_rows, store

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
    """Decide once and hand the stored reply over; safe to run again for the same post."""
    if post.status == PostStatus.RECEIVED:
        decide(post, work)
    if post.status == PostStatus.ACCEPTED:
        hand_over(post)


def finish(post: Post, status: PostStatus, reason: str) -> None:
    """Record the outcome of role mail that needs no reply (or whose reply went)."""
    post.status, post.decision_reason = status, reason
    post.decided_at = post.decided_at or utcnow()
    if status == PostStatus.DISTRIBUTED:
        post.distributed_at = utcnow()
    db.session.commit()


def answerable_sender(post: Post) -> str:
    """The envelope sender to answer; '' (and the post discarded, saying why) for automata, forgeries, junk."""
    if not may_auto_reply(post.mail_from, post.raw):
        finish(post, PostStatus.DISCARDED, NOT_FOR_AUTOMATA)
        return ""
    if sender_forged(post.raw):
        finish(post, PostStatus.DISCARDED, FORGED)
        return ""
    try:
        return normalise_address(post.mail_from)
    except InvalidAddress as exc:
        finish(post, PostStatus.DISCARDED, f"unusable sender address: {exc}")
        return ""


def decide(post: Post, work: Work) -> None:
    """Run the command for the envelope sender and keep the reply, unless the mail is automatic."""
    sender = answerable_sender(post)
    if not sender:
        return
    if not allow_notice(sender):  # the one daily cap of automatic mail per address (app/sysmail/notices.py)
        finish(post, PostStatus.DISCARDED, CAPPED)
        return
    mlist = post.mailing_list
    keep_reply(post, mlist, sender, work(post, mlist, sender))


def keep_reply(post: Post, mlist: MailingList, to: str, reply: Reply) -> None:
    """Keep the answer to role mail on its post (ACCEPTED); hand_over() gives it to the outbox."""
    subject = reply.subject if reply.subject.isascii() else f"Your request to {mlist.address}"
    notice = build_notice(
        mlist, to, subject, reply.body, in_reply_to=post.message_id, reply_to=reply.reply_to
    )
    post.prepared = notice.as_bytes(policy=SMTP)
    post.decision, post.decision_reason, post.decided_at = "accept", reply.summary, utcnow()
    post.status = PostStatus.ACCEPTED
    db.session.commit()


def hand_over(post: Post) -> None:
    """Give the reply kept on the post to the outbox (which sends and retries it) and close the post."""
    to = RawMessage.parse(post.prepared or b"").get("To") or ""
    mlist = post.mailing_list
    reply = store(SystemMailKind.REPLY, mlist.role_address("bounces"), to, post.prepared or b"", mlist.id)
    finish(post, PostStatus.DISTRIBUTED, post.decision_reason)
    send_stored_rows([reply])
