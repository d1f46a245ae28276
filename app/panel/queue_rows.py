"""What one row of the moderation queue shows: sender, snippet, hold reasons once each, attachments, history.

A page of rows costs a fixed number of queries whatever its length: the posts (without their bytes), their
bytes streamed a few at a time, and one grouped query for every author's history.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from sqlalchemy import select

from app.extensions import db
from app.mail.attachment_list import Attachment, attachments
from app.mail.authors import parse_mailbox
from app.mail.headersafety import MALFORMED_INPUT
from app.mail.rawmessage import RawMessage
from app.models import Post
from app.panel.preview import build_preview
from app.posts.history import AuthorHistory, author_histories

SNIPPET_CHARS = 160
SNIPPET_SOURCE_BYTES = 64 * 1024  # a snippet needs the start of the body, not a whole attachment
RAW_BATCH = 10  # held posts' bytes in memory at once while a page is built


@dataclass(frozen=True)
class Digest:
    """What a row needs from the message bytes."""

    sender_name: str
    snippet: str
    attachments: list[Attachment]


@dataclass(frozen=True)
class QueueRow:
    """One held post as the queue lists it."""

    post: Post
    sender_name: str
    sender_address: str
    snippet: str
    reasons: list[tuple[str, int]]  # each distinct reason once, with how often it was given
    attachments: list[Attachment]
    history: AuthorHistory


def queue_rows(posts: list[Post]) -> list[QueueRow]:
    """The rows of one queue page (posts loaded without their bytes)."""
    digests = _digests([post.id for post in posts])
    histories = author_histories((post.list_id, _address(post)) for post in posts)
    return [
        QueueRow(
            post=post,
            sender_name=digests[post.id].sender_name,
            sender_address=_address(post),
            snippet=digests[post.id].snippet,
            reasons=grouped_reasons(post.hold_reasons or [post.decision_reason]),
            attachments=digests[post.id].attachments,
            history=histories.get((post.list_id, _address(post))) or AuthorHistory(),
        )
        for post in posts
    ]


def _address(post: Post) -> str:
    return post.sender or post.mail_from or ""


def _digests(ids: list[int]) -> dict[int, Digest]:
    query = select(Post.id, Post.raw).where(Post.id.in_(ids)).execution_options(yield_per=RAW_BATCH)
    return {post_id: digest(raw) for post_id, raw in db.session.execute(query)}


def digest(raw: bytes) -> Digest:
    """Name, snippet and attachments of a message; one that cannot be parsed still gets a row."""
    author = parse_mailbox(RawMessage.parse(raw[:SNIPPET_SOURCE_BYTES]).get("from"))
    try:
        found = attachments(raw)
    except MALFORMED_INPUT:
        found = []
    return Digest(author.name if author else "", snippet(raw), found)


def snippet(raw: bytes) -> str:
    """The first words of the body on one line, from the text part or else the HTML part's text."""
    preview = build_preview(raw[:SNIPPET_SOURCE_BYTES])
    text = preview.text or nh3.clean(preview.html, tags=set())
    words = " ".join(text.split())
    if len(words) <= SNIPPET_CHARS:
        return words
    return words[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def grouped_reasons(reasons: list[str]) -> list[tuple[str, int]]:
    """Each reason once, in first-seen order, with its count: a rule that fired three times is one line."""
    counts: dict[str, int] = {}
    for reason in reasons:
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
    return list(counts.items())
