"""One-time reply addresses LIST-confirm+TOKEN@ for staff: one per (item, staff member), stored hashed.

A token is "m" and lower-case base32 (a local part is compared case-insensitively), so it never looks like a
subscriber's hex confirmation token; it is as long as the 64-octet limit of a local part allows, never
shorter than 80 random bits. Only its SHA-256 is kept: a database dump gives no working address.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ItemKind, MailingList, ModerationToken
from app.models.timestamps import utcnow

PREFIX = "m"
MAX_CHARS, MIN_CHARS = 24, 16  # 120 and 80 random bits
LOCAL_PART_LIMIT = 64  # RFC 5321 section 4.5.3.1.1
ALPHABET = set("abcdefghijklmnopqrstuvwxyz234567")
REQUEST_DAYS = 14  # how long a request's reply address works


@dataclass(frozen=True)
class Issued:
    """A token handed to one person for one item, with the address that carries it."""

    token: str
    address: str
    row: ModerationToken


def token_chars(mlist: MailingList) -> int:
    """How many random characters fit LIST-confirm+mTOKEN in 64 octets (never fewer than MIN_CHARS)."""
    room = LOCAL_PART_LIMIT - len(f"{mlist.local_part}-confirm+{PREFIX}")
    return max(MIN_CHARS, min(MAX_CHARS, room))


def new_token(chars: int) -> str:
    """A fresh random token of chars base32 characters after the prefix."""
    text = base64.b32encode(secrets.token_bytes(chars)).decode().lower()
    return PREFIX + text[:chars]


def looks_like_staff_token(token: str) -> bool:
    """Whether token has the shape of a staff reply token (subscriber tokens are hex)."""
    body = token[len(PREFIX) :]
    return token.startswith(PREFIX) and MIN_CHARS <= len(body) <= MAX_CHARS and set(body) <= ALPHABET


def digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.lower().encode()).hexdigest()


def issue(mlist: MailingList, user_id: int, kind: ItemKind, object_id: int, days: int) -> Issued | None:
    """A token for this person and item, committed; None when they already have one (already told)."""
    token = new_token(token_chars(mlist))
    row = ModerationToken(
        token_hash=digest(token),
        list_id=mlist.id,
        user_id=user_id,
        kind=kind,
        object_id=object_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    db.session.commit()
    return Issued(token, mlist.role_address(f"confirm+{token}"), row)


def find(token: str) -> ModerationToken | None:
    """The token row for a token from a reply address, used or not, expired or not."""
    if not looks_like_staff_token(token.lower()):
        return None
    return db.session.scalar(select(ModerationToken).where(ModerationToken.token_hash == digest(token)))


def spend(row: ModerationToken) -> bool:
    """Mark the token used; False when it was used already (a replay, or a race with another reply)."""
    result = db.session.execute(
        update(ModerationToken)
        .where(ModerationToken.id == row.id, ModerationToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return cast(CursorResult, result).rowcount == 1


def told(user_id: int, kind: ItemKind, object_ids: list[int]) -> set[int]:
    """Which of these items this person was already given a reply address for."""
    if not object_ids:
        return set()
    query = select(ModerationToken.object_id).where(
        ModerationToken.user_id == user_id,
        ModerationToken.kind == kind,
        ModerationToken.object_id.in_(object_ids),
    )
    return set(db.session.scalars(query))
