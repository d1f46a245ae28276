"""Signed, URL-safe tokens for links in mail (unsubscribe, confirm, manage)."""

from __future__ import annotations

import base64
import enum
import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer


class TokenPurpose(enum.StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    MANAGE = "manage"
    CONFIRM = "confirm"
    ARCHIVE = "archive"  # a member's way into a members-only archive
    ADDRESS = "address"  # every subscription of one address (the link /manage mails)
    MOVE = "move"  # a change of address, confirmed at the new address


LINK_LIFETIME_SECONDS = 7 * 24 * 3600  # a mailed manage or change-of-address link works for a week


def _mac(purpose: TokenPurpose, value: int) -> str:
    # One-shot hmac.digest (OpenSSL, no HMAC objects): delivery signs a link for every copy.
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.digest(key, f"mailflow-{purpose}:{value}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def sign(purpose: TokenPurpose, value: int) -> str:
    """A short token that proves we issued value for purpose: `VALUE.MAC` (128-bit HMAC-SHA256)."""
    return f"{value}.{_mac(purpose, value)}"


def verify(purpose: TokenPurpose, token: str) -> int | None:
    """The value inside a token we issued for purpose, or None."""
    value, dot, mac = token.partition(".")
    # str.isdigit() takes "²" and "١٢" too; compare_digest refuses non-ASCII text: both were 500s.
    if not dot or not token.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value) if hmac.compare_digest(mac, _mac(purpose, int(value))) else None


def public_url(path: str) -> str:
    """An absolute link under MAILFLOW_PUBLIC_URL."""
    return current_app.config["MAILFLOW"].PUBLIC_URL + path


def manage_url(member_id: int) -> str:
    """The signed link to a member's manage-subscription page."""
    return public_url(f"/manage/{sign(TokenPurpose.MANAGE, member_id)}")


def _serializer(purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"mailflow-{purpose}")


def sign_data(purpose: TokenPurpose, data: object) -> str:
    """A URL-safe, timestamped token carrying JSON-able data (an address, an address change)."""
    return str(_serializer(purpose).dumps(data))


def verify_data(purpose: TokenPurpose, token: str, max_age: int = LINK_LIFETIME_SECONDS) -> object | None:
    """The data inside a token we issued for purpose at most max_age seconds ago, or None."""
    if len(token) > 2000 or not token.isascii():
        return None
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except BadData:
        return None


def address_url(email: str) -> str:
    """The expiring signed link to the page listing every subscription of email."""
    return public_url(f"/manage/{sign_data(TokenPurpose.ADDRESS, email)}")
