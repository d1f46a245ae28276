"""Ingress bookkeeping: where the IMAP poller stands in each folder, and ingress locks without Redis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class ImapCursor(db.Model):
    """The last UID handled in one folder of one mailbox, valid while the folder keeps its UIDVALIDITY."""

    __tablename__ = "imap_cursors"
    __table_args__ = (UniqueConstraint("mailbox", "folder", name="uq_imap_cursor_mailbox_folder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(320), nullable=False)  # user@host:port
    folder: Mapped[str] = mapped_column(String(255), nullable=False)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class IngressLock(db.Model):
    """A lock with an expiry, for when Redis is not configured: one poller per mailbox."""

    __tablename__ = "ingress_locks"

    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
