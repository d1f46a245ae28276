"""Which bounces prove they answer a copy we sent: only those may count against a member.

Anyone can mail LIST-bounces@ a DSN naming any member. Without our VERP token in the envelope, a DSN counts
only for a member we sent a copy of this list recently, and only when the DSN quotes that copy: its
Message-ID, or its envelope sender (LIST-bounces+TOKEN@, naming that very copy).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.bounces.verp import delivery_from_token
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import Delivery, Member, Post
from app.models.timestamps import utcnow

RECENT = timedelta(days=14)  # SMTP retries for MAILFLOW_SMTP_RETRY_DAYS (5) before a late DSN comes back
MAX_CANDIDATES = 200  # copies to one member looked at: a forged DSN must not cost a table scan
UNPROVEN = "not counted: the bounce does not prove it answers a copy this list sent to the address"
_QUOTED_ID = re.compile(rb"^[ \t>]*Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,500}>)", re.IGNORECASE | re.M)
_VERP = re.compile(
    rb"[a-z0-9.!#$%&'*/=?^_`{|}~-]{1,64}-bounces\+([0-9a-z]{1,20}x[0-9a-f]{10})@", re.IGNORECASE
)


def quoted_message_ids(raw: bytes) -> set[str]:
    """The Message-IDs a DSN quotes (its own among them; that one matches no copy of ours)."""
    return {m.decode("ascii", "replace") for m in _QUOTED_ID.findall(raw)}


def quoted_deliveries(raw: bytes) -> set[int]:
    """The deliveries whose VERP envelope sender (with a valid token) the DSN quotes anywhere."""
    ids = (delivery_from_token(token.decode("ascii")) for token in _VERP.findall(raw))
    return {i for i in ids if i is not None}


def copy_message_id(post: Post) -> str:
    """The Message-ID the members' copies carried: the author's, or the one preparation added."""
    if post.message_id:
        return post.message_id.strip()
    return (RawMessage.parse(post.prepared or b"").get("Message-ID") or "").strip()


def proven_delivery(list_id: int, member: Member, raw: bytes) -> Delivery | None:
    """A recent copy of this list to member that the DSN quotes, or None (the bounce then scores nothing)."""
    message_ids, deliveries = quoted_message_ids(raw), quoted_deliveries(raw)
    if not message_ids and not deliveries:
        return None
    recent = db.session.scalars(
        select(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .where(
            Delivery.member_id == member.id,
            Post.list_id == list_id,
            Delivery.sent_at.is_not(None),
            Delivery.sent_at >= utcnow() - RECENT,
        )
        .order_by(Delivery.id.desc())
        .limit(MAX_CANDIDATES)
    )
    for copy in recent:
        if copy.id in deliveries or copy_message_id(copy.post) in message_ids:
            return copy
    return None
