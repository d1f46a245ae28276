"""Signed, URL-safe tokens for links in mail (unsubscribe, confirm, manage)."""

from __future__ import annotations

import enum
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


class TokenPurpose(enum.StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    MANAGE = "manage"
    CONFIRM = "confirm"


def _serializer(purpose: TokenPurpose) -> URLSafeSerializer:
    return _cached_serializer(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=32)
def _cached_serializer(secret: str, purpose: TokenPurpose) -> URLSafeSerializer:
    # Building one costs ~100 µs (key derivation); delivery signs a link for every copy.
    return URLSafeSerializer(secret, salt=f"mailflow-{purpose}")


def sign(purpose: TokenPurpose, value: int | str) -> str:
    """A token that proves we issued value for purpose."""
    return _serializer(purpose).dumps(value)


def verify(purpose: TokenPurpose, token: str) -> int | str | None:
    """The value inside a token we issued for purpose, or None."""
    try:
        return _serializer(purpose).loads(token)
    except BadSignature:
        return None


def public_url(path: str) -> str:
    """An absolute link under MAILFLOW_PUBLIC_URL."""
    return current_app.config["MAILFLOW"].PUBLIC_URL + path


def manage_url(member_id: int) -> str:
    """The signed link to a member's manage-subscription page."""
    return public_url(f"/manage/{sign(TokenPurpose.MANAGE, member_id)}")

