"""API tokens as a service: create (the secret shown once), verify, list and revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.api_tokens import ApiToken
from app.models.audit import Actor, record_by
from app.models.timestamps import utcnow

PREFIX = "mfa_"
LAST_USED_GRANULARITY = timedelta(minutes=1)  # one write a minute per token, not one per request


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for user; returns it and its secret (never stored, shown once). Commits."""
    name = " ".join(name.split())[:100]
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:12])
    db.session.add(token)
    db.session.flush()
    record_by(actor, "api_token.created", "api_token", token.id, None, user=user.email, name=name)
    db.session.commit()
    return token, secret


def user_for(secret: str) -> User | None:
    """The active user a presented secret belongs to, or None; notes when the token was last used."""
    if not secret.startswith(PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.commit()
    return token.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones too, marked)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(query))


def revoke_token(token: ApiToken, actor: Actor) -> bool:
    """Revoke the token (it stops working at once); False when it already was. Commits."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_by(actor, "api_token.revoked", "api_token", token.id, None, name=token.name)
    db.session.commit()
    return True
