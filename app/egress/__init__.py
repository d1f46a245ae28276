"""Egress: exactly one sender backend is active, chosen by MAILFLOW_EGRESS."""

from __future__ import annotations

from app.config import Settings
from app.egress.base import Outgoing, SendResult, Sender


def make_sender(settings: Settings) -> Sender:
    """The configured sender backend."""
    if settings.EGRESS == "smtp":
        from app.egress.smtp import SMTPSender

        return SMTPSender(settings)
    if settings.EGRESS == "stdout":
        from app.egress.stdout import StdoutSender

        return StdoutSender()
    raise NotImplementedError(f"egress {settings.EGRESS!r} is not built yet (use stdout or smtp)")


__all__ = ["Outgoing", "SendResult", "Sender", "make_sender"]
