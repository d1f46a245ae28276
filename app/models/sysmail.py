"""Mail the system itself sends (notices, confirmations, command replies, forwards to owners), kept until sent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class SystemMailKind(enum.StrEnum):
    NOTICE = "notice"  # to moderators, owners or a sender: a held post, a disabled member, a rejection
    CONFIRMATION = "confirmation"  # a subscription to confirm
    REPLY = "reply"  # the answer to an email command
    FORWARD = "forward"  # mail to LIST-owner@, passed on to an owner


class SystemMailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class SystemMail(db.Model):
    """One outgoing system message for one recipient: the finished bytes and what became of them."""

    __tablename__ = "system_mail"
    __table_args__ = (Index("ix_system_mail_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing_lists.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    mail_from: Mapped[str] = mapped_column(String(320), nullable=False)
    rcpt: Mapped[str] = mapped_column(String(320), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=SystemMailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
