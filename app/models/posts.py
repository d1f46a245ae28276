"""Inbound messages and what became of them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.mail.list_addresses import AddressRole
from app.models.timestamps import UTCDateTime, utcnow


class PostStatus(enum.StrEnum):
    RECEIVED = "received"
    HELD = "held"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISCARDED = "discarded"
    DISTRIBUTING = "distributing"
    DISTRIBUTED = "distributed"
    UNDELIVERED = "undelivered"  # distribution ended and not one copy was accepted (all bounced or failed)
    SHUNTED = "shunted"


class PostSource(enum.StrEnum):
    SMTP = "smtp"
    IMAP = "imap"
    IMPORT = "import"  # brought over from another list manager (held posts)
    DIGEST = "digest"  # a digest issue in one format, built by the list itself (app/digests/)


class Post(db.Model):
    """One inbound message for one list, raw bytes kept untouched."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("list_id", "role", "sha256", name="uq_post_list_role_sha256"),
        Index("ix_posts_status", "status"),
        Index("ix_posts_list_received", "list_id", "received_at"),
        Index("ix_posts_list_status_received", "list_id", "status", "received_at"),  # the moderation queue
        Index(
            "ix_posts_list_sender", "list_id", "sender", "status", "received_at"
        ),  # authors' history, index-only
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=AddressRole.POST)
    source: Mapped[str] = mapped_column(String(8), nullable=False, default=PostSource.SMTP)
    mail_from: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    rcpt_tos: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    peer: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    tls: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    message_id: Mapped[str] = mapped_column(String(998), nullable=False, default="")
    sender: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PostStatus.RECEIVED)
    rule_hits: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    rule_misses: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    hold_reasons: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    decision: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    moderator_decision: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    prepared: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Where per-recipient decoration is spliced into `prepared` (app.pipeline.decorate.Slot as dicts).
    prepared_layout: Mapped[list | None] = mapped_column(JSON, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    distributed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Members the fan-out skipped, by why: {"digest": n, "nomail": m} (nomail counts vacations too).
    withheld: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    mailing_list = relationship("MailingList")
