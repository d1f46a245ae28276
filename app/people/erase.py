"""Erasing an address: its memberships and everything hung on them go; where it is part of another record
(a post it sent, an audit entry), the address is replaced. The audit entry of the erasure names only a keyed
hash of the address, so an admin who knows the address can tell it was erased, and nobody else can."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from flask import current_app
from sqlalchemy import delete

from app.extensions import db
from app.models import Bounce, Delivery, Member, NoticeCount, SystemMail
from app.models.audit import Actor, record_by
from app.people import lookup

REDACTED = "redacted@invalid"  # RFC 2606: a name that can never be anyone's address


@dataclass(frozen=True)
class Erased:
    memberships: int
    deliveries: int
    bounces: int
    notice_counts: int
    system_mail: int
    posts_redacted: int
    audit_redacted: int


def address_hash(email: str) -> str:
    """A keyed hash of the address: the same for the same address on this instance, unreadable elsewhere."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"mailflow-person:" + email.encode(), hashlib.sha256).hexdigest()


def _count(statement) -> int:
    return getattr(db.session.execute(statement.execution_options(synchronize_session=False)), "rowcount", 0)


def _redact_posts(email: str) -> int:
    posts = list(db.session.scalars(lookup.posts_by(email)))
    needle, stand_in = email.encode(), REDACTED.encode()
    for post in posts:
        post.mail_from = REDACTED if post.mail_from == email else post.mail_from
        post.sender = REDACTED if post.sender == email else post.sender
        post.raw = post.raw.replace(needle, stand_in)  # the From field and any Sender/Reply-To copy
        if post.prepared is not None:
            post.prepared, post.prepared_layout = None, None  # rebuilt from raw if the post is ever sent
    return len(posts)


def _redact_audit(email: str, stand_in: str) -> int:
    entries = list(db.session.scalars(lookup.audit_about(email)))
    for entry in entries:
        entry.details = json.loads(json.dumps(entry.details).replace(email, stand_in))
        entry.actor = stand_in if entry.actor == email else entry.actor
    return len(entries)


def erase_person(email: str, actor: Actor) -> Erased:
    """Remove the address's memberships, copies, bounces, notice counters and mail to it; redact it from
    the posts it sent and from audit entries; record the erasure under a hash. Commits."""
    ids = lookup.member_ids(email)
    stand_in = f"person:{address_hash(email)[:16]}"
    erased = Erased(
        deliveries=_count(delete(Delivery).where(Delivery.member_id.in_(ids))),
        bounces=_count(
            delete(Bounce).where(Bounce.id.in_(lookup.bounces_of(email).with_only_columns(Bounce.id)))
        ),
        notice_counts=_count(delete(NoticeCount).where(NoticeCount.address == email)),
        system_mail=_count(delete(SystemMail).where(SystemMail.rcpt == email)),
        posts_redacted=_redact_posts(email),
        audit_redacted=_redact_audit(email, stand_in),
        memberships=_count(delete(Member).where(Member.email == email)),
    )
    record_by(
        actor, "person.erase", "person", None, None, address_sha256=address_hash(email), **asdict(erased)
    )
    db.session.commit()
    return erased


__all__ = ["REDACTED", "Erased", "address_hash", "erase_person"]
