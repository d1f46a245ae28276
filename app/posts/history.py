"""What a sender has posted to a list before: accepted, rejected, first seen; for a whole queue page at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Post, PostStatus

ACCEPTED = (PostStatus.ACCEPTED, PostStatus.DISTRIBUTING, PostStatus.DISTRIBUTED, PostStatus.UNDELIVERED)
REFUSED = (PostStatus.REJECTED, PostStatus.DISCARDED)


@dataclass
class AuthorHistory:
    """One author's record on one list (the post being looked at included in posts and first_seen)."""

    accepted: int = 0
    rejected: int = 0
    posts: int = 0
    first_seen: datetime | None = None


def author_histories(authors: Iterable[tuple[int, str]]) -> dict[tuple[int, str], AuthorHistory]:
    """The history of each (list id, sender address) pair, from one grouped query."""
    wanted = {(list_id, sender) for list_id, sender in authors if sender}
    if not wanted:
        return {}
    query = (
        select(Post.list_id, Post.sender, Post.status, func.count(), func.min(Post.received_at))
        .where(
            Post.list_id.in_({list_id for list_id, _ in wanted}),
            Post.sender.in_({sender for _, sender in wanted}),
        )
        .group_by(Post.list_id, Post.sender, Post.status)
    )
    found: dict[tuple[int, str], AuthorHistory] = {pair: AuthorHistory() for pair in wanted}
    for list_id, sender, status, count, first in db.session.execute(query):
        history = found.get((list_id, sender))
        if history is None:  # the same address on another list of the page
            continue
        history.posts += count
        history.accepted += count if status in ACCEPTED else 0
        history.rejected += count if status in REFUSED else 0
        history.first_seen = first if history.first_seen is None else min(history.first_seen, first)
    return found
