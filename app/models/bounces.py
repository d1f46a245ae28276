"""Bounce and complaint records, from DSNs or from SES notifications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class BounceKind(enum.StrEnum):
    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"
    DELAYED = "delayed"  # a DSN saying delivery is still being tried: recorded, never counted
    AUTO_REPLY = "auto_reply"  # vacation, out-of-office, challenge-response: recorded, never counted
    UNRECOGNISED = "unrecognised"  # no failed recipient could be read from it: recorded, never counted


class Bounce(db.Model):
    """One bounce or complaint, tied to the member and delivery where we could tell which."""

    __tablename__ = "bounces"
    __table_args__ = (
        Index("ix_bounces_member", "member_id"),
        Index("ix_bounces_notification", "notification_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), nullable=True
    )
    address: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=BounceKind.HARD)
    diagnostic: Mapped[str] = mapped_column(Text, nullable=False, default="")
    counted: Mapped[bool] = mapped_column(default=True, nullable=False)
    # SNS MessageId (or post id for a DSN): a notification delivered twice is recorded once.
    notification_id: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
