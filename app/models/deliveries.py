"""One copy of a post for one member."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class Delivery(db.Model):
    """A copy of a post addressed to one member; unique per post and member."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "member_id", name="uq_delivery_post_member"),
        Index("ix_deliveries_post_status", "post_id", "status"),
        Index("ix_deliveries_provider_message_id", "provider_message_id"),
        Index("ix_deliveries_status_lease", "status", "lease_until"),
        # The reconciler's overdue retries. Only copies with a retry time are in it: the fan-out's insert,
        # claim and sent mark (which clears the time) add no entry, so the hot path does not pay for it.
        Index(
            "ix_deliveries_retry_due",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    provider_message_id: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Who claimed the copy last (worker name + claim): a worker sends only rows it still holds.
    lease_owner: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    post = relationship("Post")
    member = relationship("Member")
