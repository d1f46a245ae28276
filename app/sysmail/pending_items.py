"""What waits for a list's staff: held posts and subscription requests, described the same way in a single
notice, a summary and the confirmation of a reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.mail.headersafety import clean
from app.mail.reply_text import typed_lines
from app.models import ItemKind, MailingList, Member, MemberStatus, PendingAction, Post, PostStatus
from app.sysmail.reply_tokens import REQUEST_DAYS

QUOTED_LINES = 12
POST_WORDS = (
    ("approve", "send it to the list"),
    ("approve always", "send it, and always accept mail from its sender on this list"),
    ("reject REASON", "refuse it; REASON is sent to its author"),
    ("discard", "throw it away without telling anyone"),
    ("ban", "throw it away and ban its sender from this list"),
)
REQUEST_WORDS = (
    ("approve", "subscribe the address"),
    ("reject REASON", "refuse it; REASON is sent to the address"),
    ("discard", "drop the request without telling anyone"),
)


@dataclass(frozen=True)
class Item:
    """One thing waiting for a decision, in words."""

    kind: ItemKind
    object_id: int
    headline: str  # one line: what and from whom
    title: str  # for a subject line
    details: list[str]  # further lines (why, the first lines of the post)
    panel_url: str
    since: datetime
    days: int  # how long its reply address works

    @property
    def words(self) -> tuple[tuple[str, str], ...]:
        return POST_WORDS if self.kind is ItemKind.POST else REQUEST_WORDS


def _panel(path: str) -> str:
    return current_app.config["MAILFLOW"].PUBLIC_URL + path


def post_item(post: Post) -> Item:
    """A held post: who sent it, its subject, why it was held (sentences), its first lines quoted."""
    sender = clean(post.sender or post.mail_from) or "(unknown sender)"
    reasons = [clean(r) for r in (post.hold_reasons or [post.decision_reason]) if clean(r)]
    quoted = typed_or_all(post.raw)[:QUOTED_LINES]
    subject = clean(post.subject) or "(no subject)"
    details = [f"Subject: {subject}", "", "Why it was held:"]
    details += [f"  - {reason}" for reason in reasons or ["(no reason recorded)"]]
    details += ["", "The post begins:"] + [f"> {line}"[:200] for line in quoted]
    return Item(
        ItemKind.POST,
        post.id,
        f"A post from {sender}",
        f"{subject} (from {sender})",
        details,
        _panel(f"/moderation/{post.id}"),
        post.decided_at or post.received_at,
        post.mailing_list.hold_days or 14,
    )


def typed_or_all(raw: bytes) -> list[str]:
    """The post's own lines (quotes and signature left out), or every line when that leaves none."""
    return typed_lines(raw) or ["(no text)"]


def request_item(member: Member) -> Item:
    """A pending subscription request: the address, the name given, the list's policy."""
    mlist = member.mailing_list
    name = f" ({clean(member.name)})" if clean(member.name) else ""
    details = [
        f"Address: {member.email}{name}",
        f"Asked:   {member.created_at:%Y-%m-%d %H:%M} UTC",
        f"Policy:  {mlist.subscription_policy} (a list moderator approves each subscription)",
    ]
    return Item(
        ItemKind.REQUEST,
        member.id,
        f"A subscription request from {member.email}",
        member.email,
        details,
        _panel(f"/lists/{mlist.id}/requests"),
        member.updated_at,
        REQUEST_DAYS,
    )


@dataclass(frozen=True)
class Waiting:
    """An item's identity and since when it waits: cheap to list on every pass."""

    kind: ItemKind
    object_id: int
    since: datetime


def waiting(list_id: int) -> list[Waiting]:
    """Everything on the list waiting for a decision, held posts first, oldest first (no bodies read)."""
    posts = db.session.execute(
        select(Post.id, Post.decided_at, Post.received_at)
        .where(Post.list_id == list_id, Post.status == PostStatus.HELD)
        .order_by(Post.id)
    )
    requests = db.session.execute(
        select(Member.id, Member.updated_at).where(_requests_of(list_id)).order_by(Member.id)
    )
    return [Waiting(ItemKind.POST, pid, decided or received) for pid, decided, received in posts] + [
        Waiting(ItemKind.REQUEST, mid, updated) for mid, updated in requests
    ]


def _requests_of(list_id: int):
    return (
        (Member.list_id == list_id)
        & (Member.status == MemberStatus.PENDING)
        & (Member.pending == PendingAction.APPROVAL)
    )


def item_for(entry: Waiting) -> tuple[Item, bytes | None] | None:
    """The item in words, and the post's bytes to attach; None when it is gone meanwhile."""
    if entry.kind is ItemKind.POST:
        post = db.session.get(Post, entry.object_id)
        return (post_item(post), post.raw) if post is not None else None
    member = db.session.get(Member, entry.object_id)
    return (request_item(member), None) if member is not None else None


def lists_with_waiting_items() -> list[MailingList]:
    """The lists that have at least one held post or pending request."""
    post_lists = select(Post.list_id).where(Post.status == PostStatus.HELD)
    request_lists = select(Member.list_id).where(
        Member.status == MemberStatus.PENDING, Member.pending == PendingAction.APPROVAL
    )
    ids = set(db.session.scalars(post_lists.distinct())) | set(db.session.scalars(request_lists.distinct()))
    if not ids:
        return []
    return list(
        db.session.scalars(select(MailingList).where(MailingList.id.in_(ids)).order_by(MailingList.id))
    )
