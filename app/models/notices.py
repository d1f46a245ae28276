"""How many notices each address got per day, so automatic mail cannot flood anyone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class NoticeCount(db.Model):
    """Notices sent to one address on one (UTC) day."""

    __tablename__ = "notice_counts"
    __table_args__ = (UniqueConstraint("address", "day", name="uq_notice_count_address_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
