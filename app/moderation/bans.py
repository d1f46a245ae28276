"""Bans and allowed senders: exact addresses when made from a message or a member, a pattern only when typed.

A post's From: such as `^.*@*` is a valid address; stored as a regex it would ban (or allow) everyone. So entries
taken from mail or the roster are always PatternKind.ADDRESS, and only add_typed_ban, behind a preview of what
the pattern catches, stores PatternKind.REGEX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select

from app.extensions import db
from app.mail import patterns
from app.models import AllowedSender, Ban, MailingList, Member, PatternKind, Post
from app.models.timestamps import utcnow

RECENT_SENDERS = timedelta(days=30)
EXAMPLES = 5


class InvalidPattern(ValueError):
    """A typed pattern that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Preview:
    """What a pattern would catch on a list: members and recent senders, with a few examples of each."""

    members: int
    senders: int
    examples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the form or the terminal."""
        shown = f" (for example {', '.join(self.examples)})" if self.examples else ""
        return f"matches {self.members} member(s) and {self.senders} sender(s) of the last 30 days{shown}"


def ban_entries(list_id: int) -> list[tuple[str, str]]:
    """(pattern, kind) of the list's bans and the site-wide ones."""
    rows = db.session.execute(
        select(Ban.pattern, Ban.kind).where(or_(Ban.list_id == list_id, Ban.list_id.is_(None)))
    )
    return [(p, k) for p, k in rows]


def banned_by(list_id: int, *addresses: str) -> str | None:
    """The ban (of this list or the site) that one of the addresses falls under, or None."""
    return patterns.any_match(ban_entries(list_id), addresses)


def allowed_entries(list_id: int) -> list[tuple[str, str]]:
    """(pattern, kind) of the list's allowed senders."""
    rows = db.session.execute(
        select(AllowedSender.pattern, AllowedSender.kind).where(AllowedSender.list_id == list_id)
    )
    return [(p, k) for p, k in rows]


def ban_address(list_id: int, address: str) -> Ban | None:
    """Ban one exact address (from a post or a member; caller commits); None when it is banned already."""
    address = address.strip().lower()
    if not address or (address, PatternKind.ADDRESS.value) in ban_entries(list_id):
        return None
    ban = Ban(list_id=list_id, pattern=address, kind=PatternKind.ADDRESS)
    db.session.add(ban)
    return ban


def allow_address(list_id: int, address: str) -> AllowedSender | None:
    """Always accept one exact address (from a post; caller commits); None when it is allowed already."""
    address = address.strip().lower()
    if not address or (address, PatternKind.ADDRESS.value) in allowed_entries(list_id):
        return None
    entry = AllowedSender(list_id=list_id, pattern=address, kind=PatternKind.ADDRESS)
    db.session.add(entry)
    return entry


def typed_kind(pattern: str) -> PatternKind:
    """The kind of a pattern a person typed; raises InvalidPattern with the reason."""
    problem = patterns.pattern_error(pattern)
    if problem:
        raise InvalidPattern(problem)
    return PatternKind(patterns.kind_of_typed(pattern))


def preview(mlist: MailingList | None, pattern: str) -> Preview:
    """How many members and recent senders of a list (None: every list) a typed pattern matches.

    Raises InvalidPattern.
    """
    pattern = pattern.strip()
    kind = typed_kind(pattern)
    on_list = (lambda column: column == mlist.id) if mlist else (lambda column: column.isnot(None))
    addresses = db.session.scalars(select(Member.email).where(on_list(Member.list_id)).distinct())
    members = [a for a in addresses if patterns.matches(pattern, a, kind)]
    since = utcnow() - RECENT_SENDERS
    recent = db.session.execute(
        select(Post.sender, Post.mail_from).where(on_list(Post.list_id), Post.received_at >= since)
    )
    senders = {a.lower() for row in recent for a in row if a and patterns.matches(pattern, a, kind)}
    examples = sorted(set(members) | senders)[:EXAMPLES]
    return Preview(len(members), len(senders), examples)


def add_typed_ban(mlist: MailingList | None, pattern: str) -> Ban:
    """Ban what a person typed (an address, or ^regex), validated; for one list or (None) the whole site."""
    pattern = pattern.strip()
    ban = Ban(list_id=mlist.id if mlist else None, pattern=pattern, kind=typed_kind(pattern))
    db.session.add(ban)
    db.session.commit()
    return ban


def list_bans(list_id: int) -> list[Ban]:
    """The list's own bans, oldest first (site-wide ones are the admin's)."""
    return list(db.session.scalars(select(Ban).where(Ban.list_id == list_id).order_by(Ban.id)))


def remove_ban(list_id: int, ban_id: int) -> Ban | None:
    """Lift one of the list's bans (caller commits); None when the list has no such ban."""
    ban = db.session.get(Ban, ban_id)
    if ban is None or ban.list_id != list_id:
        return None
    db.session.delete(ban)
    return ban
