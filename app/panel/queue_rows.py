"""What one row of the moderation queue shows: the sender's name, a body snippet, the hold reasons once each."""

from __future__ import annotations

from dataclasses import dataclass

import nh3

from app.mail.authors import parse_mailbox
from app.mail.rawmessage import RawMessage
from app.models import Post
from app.panel.preview import build_preview

SNIPPET_CHARS = 160
SNIPPET_SOURCE_BYTES = 64 * 1024  # a snippet needs the start of the body, not a whole attachment


@dataclass(frozen=True)
class QueueRow:
    """One held post as the queue lists it."""

    post: Post
    sender_name: str
    sender_address: str
    snippet: str
    reasons: list[tuple[str, int]]  # each distinct reason once, with how often it was given


def queue_row(post: Post) -> QueueRow:
    """Summarise a held post for the queue; a message that cannot be parsed still gets a row."""
    author = parse_mailbox(RawMessage.parse(post.raw[:SNIPPET_SOURCE_BYTES]).get("from"))
    return QueueRow(
        post=post,
        sender_name=author.name if author else "",
        sender_address=post.sender or post.mail_from or "",
        snippet=snippet(post.raw),
        reasons=grouped_reasons(post.hold_reasons or [post.decision_reason]),
    )


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
