"""The list archive: one row per archived message, its raw bytes the source of truth."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class ArchivePolicy(enum.StrEnum):
    """Who may read a list's archive."""

    NONE = "none"
    PRIVATE = "private"  # owners, moderators, site admins
    MEMBERS = "members"  # also the list's members, through a signed link
    PUBLIC = "public"


class ArchivedMessage(db.Model):
    """One archived message; every column but the raw bytes (and the key) can be rebuilt from them.

    The search index lives beside it: an FTS5 table kept by triggers on SQLite, a generated tsvector
    column on PostgreSQL (migration a14_archive); neither is mapped here.
    """

    __tablename__ = "archived_messages"
    __table_args__ = (
        UniqueConstraint("list_id", "key", name="uq_archived_list_key"),
        UniqueConstraint("post_id", name="uq_archived_post"),
        # Covers the month index and a month's threads (no table rows read: they hold the raw bytes).
        Index("ix_archived_list_month", "list_id", "month", "removed_at", "thread_id", "date"),
        Index("ix_archived_list_date", "list_id", "date"),
        Index("ix_archived_list_message_id", "list_id", "message_id"),
        Index("ix_archived_list_subject", "list_id", "subject_norm"),
        Index("ix_archived_thread_date", "thread_id", "date"),
        Index("ix_archived_list_in_reply_to", "list_id", "in_reply_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    # The permalink segment: derived from the Message-ID, never from a row number; kept across rebuilds.
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    message_id: Mapped[str] = mapped_column(String(998), nullable=False, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subject_norm: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    author: Mapped[str] = mapped_column(Text, nullable=False, default="")  # "Name <address>", for search
    author_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    author_address: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    body_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    date: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM of date
    in_reply_to: Mapped[str] = mapped_column(String(998), nullable=False, default="")  # nearest ancestor
    refs: Mapped[str] = mapped_column(
        Text, nullable=False, default=""
    )  # In-Reply-To then References, nearest first
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attachments: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    removal_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @property
    def removed(self) -> bool:
        return self.removed_at is not None


class ArchiveMonth(db.Model):
    """How many shown messages a list's archive holds for one month: the month index reads this, not the rows.

    Kept by app.archive.months: +1 when a post is archived, -1 on removal, recounted after an import or a
    rebuild (which may move messages between months).
    """

    __tablename__ = "archive_months"
    __table_args__ = (PrimaryKeyConstraint("list_id", "month", name="pk_archive_months"),)

    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    messages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
