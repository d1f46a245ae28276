"""The one door every inbound message goes through: store durably, then enqueue."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.ingress.headers import summary
from app.ingress.lookup import resolve
from app.models import Post, PostSource
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    """What the transport said about a message, apart from its bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    source: PostSource = PostSource.SMTP
    peer: str = ""
    tls: bool = False
    extra_rcpts: tuple[str, ...] = field(default=())
    # (list id, role) per recipient when the transport already resolved them (the SMTP receiver, at RCPT).
    targets: tuple[tuple[int, str], ...] = field(default=())
    # Trace fields this receiver adds (a `Received:` line); stored in front of the raw bytes, but never part
    # of the dedupe hash, so a client's retry of the same bytes still finds the first post.
    received: bytes = b""


def accept(raw: bytes, envelope: Envelope) -> list[int]:
    """Commit one post per (list, role) addressed, then enqueue them; returns the post ids.

    The same bytes for the same list and role give the same post (idempotent re-delivery): the hash is
    taken over the bytes as the client sent them, before the receiver's own `Received:` field.
    Raises when nothing could be stored, so the caller can answer 4xx and keep the message.
    """
    digest = hashlib.sha256(raw).hexdigest()
    head = summary(raw)
    stored = envelope.received + raw
    groups = _group(envelope).items()
    ids = [_store(stored, digest, head, envelope, key, rcpts) for key, rcpts in groups]
    from app.queues import enqueue_new_posts

    enqueue_new_posts(ids)
    return ids


def _group(envelope: Envelope) -> dict[tuple[int, str], list[str]]:
    """Recipients by (list id, role): one post each."""
    groups: dict[tuple[int, str], list[str]] = {}
    if len(envelope.targets) == len(envelope.rcpt_tos):
        for rcpt, key in zip(envelope.rcpt_tos, envelope.targets):
            groups.setdefault(key, []).append(rcpt)
        return groups
    for rcpt in envelope.rcpt_tos:
        found = resolve(rcpt)
        if found is None:
            raise LookupError(f"{rcpt} is not a list address")
        mlist, reading = found
        groups.setdefault((mlist.id, reading.role.value), []).append(rcpt)
    return groups


def _stage(raw: bytes, digest: str, head: dict, envelope: Envelope, key: tuple[int, str], rcpts: list[str]) -> int:
    """The existing post for these bytes, or a new one flushed into the open transaction."""
    list_id, role = key
    existing = _existing(list_id, role, digest)
    if existing is not None:
        log.info("post %s: same bytes already stored for list %s, not stored again", existing, list_id)
        return existing
    post = Post(
        list_id=list_id, role=role, source=envelope.source, mail_from=envelope.mail_from, rcpt_tos=rcpts,
        peer=envelope.peer, tls=envelope.tls, raw=raw, size=len(raw), sha256=digest, queued_at=utcnow(), **head,
    )
    db.session.add(post)
    db.session.flush()
    return post.id


def _store(raw: bytes, digest: str, head: dict, envelope: Envelope, key: tuple[int, str], rcpts: list[str]) -> int:
    try:
        post_id = _stage(raw, digest, head, envelope, key, rcpts)
        db.session.commit()
    except IntegrityError:  # the same bytes were committed meanwhile by another session
        db.session.rollback()
        existing = _existing(key[0], key[1], digest)
        if existing is None:
            raise
        return existing
    return post_id


def accept_batch(items: Sequence[tuple[bytes, Envelope]]) -> list[list[int]]:
    """accept() for many messages in one transaction (the IMAP poller's chunks): same posts, same dedupe.

    A conflict with a concurrent writer falls back to one accept() per message.
    """
    try:
        results = []
        for raw, envelope in items:
            digest, head, stored = hashlib.sha256(raw).hexdigest(), summary(raw), envelope.received + raw
            groups = _group(envelope).items()
            results.append([_stage(stored, digest, head, envelope, key, rcpts) for key, rcpts in groups])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return [accept(raw, envelope) for raw, envelope in items]
    from app.queues import enqueue_new_posts

    enqueue_new_posts([post_id for ids in results for post_id in ids])
    return results


def _existing(list_id: int, role: str, digest: str) -> int | None:
    return db.session.scalar(
        select(Post.id).where(Post.list_id == list_id, Post.role == role, Post.sha256 == digest)
    )
