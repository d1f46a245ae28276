"""The one door every inbound message goes through: store durably, then enqueue."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.ingress.headers import summary
from app.jobs.queues import enqueue_new_posts
from app.lists.lookup import resolve
from app.models import Post, PostSource
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)

PostKey = tuple[int, str, str]  # (list id, role, sha256 of the bytes as sent): one post each


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
    return accept_batch([(raw, envelope)])[0]


def accept_batch(items: Sequence[tuple[bytes, Envelope]]) -> list[list[int]]:
    """accept() for many messages in one transaction and one commit: the post ids per message.

    Used by the IMAP poller's chunks and the SMTP receiver's group commit. A conflict with a concurrent
    writer (the same bytes committed meanwhile) is resolved by reading the post that won.
    """
    planned = [_plan(raw, envelope) for raw, envelope in items]
    try:
        results = _store_batch(planned, check_existing=False)  # re-sent bytes are rare: no SELECT first
    except IntegrityError:
        db.session.rollback()
        results = _store_batch(planned, check_existing=True)  # a second conflict is a real error

    enqueue_new_posts([post_id for ids in results for post_id in ids])
    return results


def _store_batch(planned: list[dict[PostKey, dict]], check_existing: bool) -> list[list[int]]:
    """Insert the posts not stored yet (one multi-row INSERT) and commit; the post ids per message."""
    keys = {key for plan in planned for key in plan}
    ids = _existing(keys) if check_existing else {}
    new_rows = {key: row for plan in planned for key, row in plan.items() if key not in ids}
    for key in ids.keys() & keys:
        log.info("post %s: same bytes already stored for list %s, not stored again", ids[key], key[0])
    if new_rows:
        table = Post.__table__  # Core, not the ORM's bulk path: no objects are needed, only the ids
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        inserted = db.session.execute(statement, list(new_rows.values())).scalars().all()
        ids.update(zip(new_rows, inserted))
    db.session.commit()
    return [[ids[key] for key in plan] for plan in planned]


def _plan(raw: bytes, envelope: Envelope) -> dict[PostKey, dict]:
    """The post rows this message makes, by key (insertion order = the order of its recipients)."""
    digest = hashlib.sha256(raw).hexdigest()
    head, stored, now = summary(raw), envelope.received + raw, utcnow()
    return {
        (list_id, role, digest): dict(
            list_id=list_id,
            role=role,
            source=envelope.source,
            mail_from=envelope.mail_from,
            rcpt_tos=rcpts,
            peer=envelope.peer,
            tls=envelope.tls,
            raw=stored,
            size=len(stored),
            sha256=digest,
            received_at=now,
            queued_at=now,
            **head,
        )
        for (list_id, role), rcpts in _group(envelope).items()
    }


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


def _existing(keys: set[PostKey]) -> dict[PostKey, int]:
    """Posts already stored for any of these keys."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(Post.id, Post.list_id, Post.role, Post.sha256).where(Post.sha256.in_({k[2] for k in keys}))
    ).all()
    return {(r.list_id, r.role, r.sha256): r.id for r in rows if (r.list_id, r.role, r.sha256) in keys}
