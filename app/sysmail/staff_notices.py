"""Notices to a list's staff about held posts and subscription requests, each with its own reply address.

Staff notices are never capped (the daily cap is for mail to outsiders, app/sysmail/notices.py): each owner
and moderator hears of every item, one notice each ("each" mode) or in a summary (app/sysmail/summaries.py).
"""

from __future__ import annotations

import logging
import secrets
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP

from sqlalchemy import select

from app.extensions import db
from app.lists.staff import active_staff_users
from app.models import ItemKind, MailingList, Member, NoticeMode, NoticePreference, Post, SystemMailKind, User
from app.sysmail.notices import build_notice
from app.sysmail.outbox import send_now
from app.sysmail.pending_items import Item, post_item, request_item
from app.sysmail.reply_tokens import Issued, issue

log = logging.getLogger(__name__)


def notice_mode(user_id: int, list_id: int) -> NoticeMode:
    """How this person hears of held posts and requests on this list ("each" unless they chose)."""
    mode = db.session.scalar(
        select(NoticePreference.mode).where(
            NoticePreference.user_id == user_id, NoticePreference.list_id == list_id
        )
    )
    return NoticeMode(mode) if mode else NoticeMode.EACH


def instructions(item: Item, issued: Issued, user: User) -> list[str]:
    """How to decide by replying: the words, who may use them, until when."""
    lines = ["Reply to this message with one of these as the first line (or the subject):"]
    lines += [f"  {word:<15} {meaning}" for word, meaning in item.words]
    lines += [
        f"Only a reply from {user.email} counts, once, until {issued.row.expires_at:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Or decide in the panel: {item.panel_url}",
    ]
    return lines


def item_notice(mlist: MailingList, item: Item, user: User, issued: Issued, raw: bytes | None) -> bytes:
    """One notice about one item for one person: Reply-To its one-time address, the post attached."""
    body = "\n".join(
        [f"{item.headline} to {mlist.address} waits for a decision.", "", *item.details, ""]
        + instructions(item, issued, user)
        + (["", "The whole post is attached."] if raw is not None else [])
    )
    label = "Held for moderation" if item.kind is ItemKind.POST else "Subscription request"
    subject = f"[{mlist.name}] {label}: {item.title}"[:200]
    notice = build_notice(
        mlist, user.email, subject, body + "\n", auto="auto-generated", reply_to=issued.address
    )
    return with_attached_message(notice, raw) if raw is not None else notice.as_bytes(policy=SMTP)


def with_attached_message(notice: EmailMessage, raw: bytes) -> bytes:
    """The notice as multipart/mixed: its text, then the post byte for byte as message/rfc822."""
    text = MIMEPart(policy=SMTP)
    text.set_content(notice.get_content())
    head = b"".join(
        f"{name}: {value}\r\n".encode()
        for name, value in notice.items()
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version")
    )
    boundary = f"=_mailflow_{secrets.token_hex(16)}"
    encoding = "7bit" if raw.isascii() else "8bit"
    attached = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    return (
        head
        + f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
        + f"--{boundary}\r\n".encode()
        + text.as_bytes(policy=SMTP)
        + f"\r\n--{boundary}\r\nContent-Type: message/rfc822\r\n".encode()
        + f'Content-Disposition: attachment; filename="held-post.eml"\r\nContent-Transfer-Encoding: {encoding}'
        f"\r\n\r\n".encode()
        + attached
        + f"\r\n--{boundary}--\r\n".encode()
    )


def send_to_staff(mlist: MailingList, rcpt: str, data: bytes) -> bool:
    """Send a staff notice through the outbox, uncapped: staff must hear of everything held."""
    return send_now(SystemMailKind.NOTICE, mlist.role_address("bounces"), rcpt, data, mlist.id)


def _announce(mlist: MailingList, item: Item, raw: bytes | None) -> int:
    told = active_staff_users(mlist.id)
    if not told:
        log.warning(
            "%s on %s waits and the list has no owner or moderator to tell: give it one with "
            "`mailflow users grant EMAIL LIST owner` or in the panel (%s)",
            item.headline,
            mlist.address,
            item.panel_url,
        )
    sent = 0
    for user in told:
        if notice_mode(user.id, mlist.id) is not NoticeMode.EACH:
            continue  # their summary mentions it (app/sysmail/summaries.py)
        sent += send_item_notice(mlist, item, user, raw)
    return sent


def announce_post(post: Post) -> int:
    """Tell each active owner and moderator (who wants each post) of a held post; returns how many."""
    return _announce(post.mailing_list, post_item(post), post.raw)


def announce_request(member: Member) -> int:
    """Tell each active owner and moderator (who wants each item) of a subscription request."""
    return _announce(member.mailing_list, request_item(member), None)


def send_item_notice(mlist: MailingList, item: Item, user: User, raw: bytes | None) -> bool:
    """One notice about one item for one person, unless they were told already (a re-run, a catch-up)."""
    issued = issue(mlist, user.id, item.kind, item.object_id, item.days)
    return issued is not None and send_to_staff(
        mlist, user.email, item_notice(mlist, item, user, issued, raw)
    )
