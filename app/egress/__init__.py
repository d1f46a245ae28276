"""Egress: exactly one sender backend is active, chosen by MAILFLOW_EGRESS."""

from __future__ import annotations

from redis import Redis

from app.config import Egress, Settings
from app.egress.base import Outgoing, Sender, SendResult
from app.egress.ratelimit import SharedRateLimiter
from app.egress.smtp_pool import PooledSMTPSender
from app.egress.stdout import StdoutSender


def make_sender(settings: Settings, redis: Redis | None = None) -> Sender:
    """The configured sender backend, DKIM-signing when MAILFLOW_DKIM_DOMAIN is set."""
    sender = _backend(settings, redis)
    if settings.DKIM_DOMAIN:
        from app.egress.dkim import DKIMSigningSender, signing_key  # dkimpy costs ~0.2 s: only when signing

        sender = DKIMSigningSender(
            sender, settings.DKIM_DOMAIN, settings.DKIM_SELECTOR, signing_key(settings)
        )
    return sender


def _backend(settings: Settings, redis: Redis | None) -> Sender:
    if settings.EGRESS == Egress.SMTP:
        return PooledSMTPSender(settings)
    if settings.EGRESS == Egress.SES:
        from app.egress.ses import SESSender  # boto3 costs ~0.3 s to import: only when SES is the egress

        return SESSender(settings, SharedRateLimiter(redis, "ses", settings.SES_MAX_SEND_RATE))
    if settings.EGRESS == Egress.STDOUT:
        return StdoutSender()
    raise ValueError(f"unknown egress {settings.EGRESS!r}")


__all__ = ["Outgoing", "SendResult", "Sender", "make_sender"]
