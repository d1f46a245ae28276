"""Invitations: a signed link with which an account made without a password (imported list staff) sets one.

The link carries the account id and a fingerprint of its placeholder hash, so it works once: setting a
password changes the hash and every earlier link stops working. Links expire after INVITATION_DAYS.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.extensions import db
from app.mail.tokens import public_url
from app.models import User
from app.models.audit import Actor, record_by

INVITATION_DAYS = 14
SALT = "mailflow-invitation"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def invitation_url(user: User) -> str:
    """The link to send the person; raises ValueError when the account already has a password."""
    if not user.awaiting_first_password:
        raise ValueError(f"{user.email} already has a password; they can log in (or reset it as an admin)")
    token = _serializer().dumps({"user": user.id, "hash": _fingerprint(user)})
    return public_url(f"/invite/{token}")


def invited_user(token: str) -> User | None:
    """The account a live invitation is for, or None (forged, expired, already used)."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.awaiting_first_password or data.get("hash") != _fingerprint(user):
        return None
    return user


def accept_invitation(user: User, password: str) -> None:
    """Set the first password and activate the account; the invitation is used up. Commits."""
    user.set_password(password)
    user.active = True
    record_by(Actor.of(user), "user.invitation_accepted", "user", user.id, None)
    db.session.commit()
