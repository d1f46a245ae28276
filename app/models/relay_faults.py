"""Relay faults: the outgoing relay refused most copies the same way, so no member was blamed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class RelayFault(db.Model):
    """One episode of the relay refusing copies the same way; open while cleared_at is empty."""

    __tablename__ = "relay_faults"
    __table_args__ = (Index("ix_relay_faults_cleared_at", "cleared_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The refusal with its addresses taken out, e.g. "554 5.7.1 relay access denied".
    signature: Mapped[str] = mapped_column(String(255), nullable=False)
    sample: Mapped[str] = mapped_column(Text, nullable=False, default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
