"""What one row of the moderation queue shows: sender, snippet, hold reasons once each, attachments, history.

A page of rows costs a fixed number of queries whatever its length: the posts (without their bytes), their
bytes streamed a few at a time, and one grouped query for every author's history.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from dataclasses import dataclass

import nh3
from sqlalchemy import select

from app.extensions import db
from app.mail.attachment_list import Attachment, attachments
from app.mail.authors import parse_mailbox
from app.mail.firsttext import first_text
from app.mail.headersafety import MALFORMED_INPUT
from app.mail.mimescan import Part, scan
from app.mail.rawmessage import RawMessage
from app.models import Post
from app.posts.history import AuthorHistory, author_histories

SNIPPET_CHARS = 160
SNIPPET_SOURCE_BYTES = 64 * 1024  # a snippet needs the start of the body, not a whole attachment
RAW_BATCH = 10  # held posts' bytes in memory at once while a page is built
DIGEST_CACHE = 5000


@dataclass(frozen=True)
class Digest:
    """What a row needs from the message bytes."""

    sender_name: str
    snippet: str
    attachments: list[Attachment]


class DigestCache(OrderedDict[str, Digest]):
    """Digests by the SHA-256 of the message bytes, the least recently used dropped beyond DIGEST_CACHE."""

    def __getitem__(self, key: str) -> Digest:
        self.move_to_end(key)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: Digest) -> None:
        super().__setitem__(key, value)
        if len(self) > DIGEST_CACHE:
            self.popitem(last=False)


DIGESTS = DigestCache()


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
    digests = _digests(posts)
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


def _digests(posts: list[Post]) -> dict[int, Digest]:
    """Each post's digest: cached by its bytes' hash (ids can be reused), else read from its bytes in batches."""
    found = {post.id: DIGESTS[post.sha256] for post in posts if post.sha256 in DIGESTS}
    missing = [post.id for post in posts if post.id not in found]
    if missing:
        query = select(Post.id, Post.sha256, Post.raw).where(Post.id.in_(missing))
        for post_id, sha256, raw in db.session.execute(query.execution_options(yield_per=RAW_BATCH)):
            found[post_id] = DIGESTS[sha256] = digest(raw)
    return found


def digest(raw: bytes) -> Digest:
    """Name, snippet and attachments of a message; one that cannot be parsed still gets a row."""
    author = parse_mailbox(RawMessage.parse(raw[:SNIPPET_SOURCE_BYTES]).get("from"))
    try:
        tree = scan(raw)
        return Digest(author.name if author else "", snippet(raw, tree), attachments(raw, tree))
    except MALFORMED_INPUT:
        return Digest(author.name if author else "", "", [])


def snippet(raw: bytes, tree: Part | None = None) -> str:
    """The first words of the body on one line, from the text part or else the HTML part's text."""
    content_type, text = first_text(raw, tree)
    if content_type == "text/html":
        text = html.unescape(
            nh3.clean(text, tags=set(), clean_content_tags={"script", "style", "title", "head"})
        )
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
