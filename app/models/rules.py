"""Per-list filter rules and ban patterns (per list, or site-wide when list_id is NULL)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class FilterCondition(enum.StrEnum):
    HEADER = "header"  # header name + regex on its decoded value
    SENDER = "sender"  # regex on the author address
    SIZE = "size"  # message larger than N bytes
    MIME_TYPE = "mime_type"  # a part of this type anywhere (attachments)
    SPAM = "spam"  # the upstream verdict says spam / authentication failed


class FilterAction(enum.StrEnum):
    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


class FilterRule(db.Model):
    """One ordered filter rule of a list: a condition and what to do when it matches."""

    __tablename__ = "filter_rules"
    __table_args__ = (Index("ix_filter_rules_list_position", "list_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    condition: Mapped[str] = mapped_column(String(16), nullable=False)
    header: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    pattern: Mapped[str] = mapped_column(Text, nullable=False, default="")
    action: Mapped[str] = mapped_column(String(16), nullable=False, default=FilterAction.HOLD)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    mailing_list = relationship("MailingList")


class PatternKind(enum.StrEnum):
    """How a ban or allowed-sender entry matches: one exact address, or a regular expression a person typed."""

    ADDRESS = "address"
    REGEX = "regex"


class Ban(db.Model):
    """A banned address or regex, for one list or (list_id NULL) for every list."""

    __tablename__ = "bans"
    __table_args__ = (Index("ix_bans_list", "list_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=True
    )
    pattern: Mapped[str] = mapped_column(String(512), nullable=False)
    kind: Mapped[str] = mapped_column(
        String(8), nullable=False, default=PatternKind.ADDRESS, server_default=PatternKind.ADDRESS.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AllowedSender(db.Model):
    """A sender (address or regex) whose posts a list accepts although they are not a member."""

    __tablename__ = "allowed_senders"
    __table_args__ = (Index("ix_allowed_senders_list", "list_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    pattern: Mapped[str] = mapped_column(String(512), nullable=False)
    kind: Mapped[str] = mapped_column(
        String(8), nullable=False, default=PatternKind.ADDRESS, server_default=PatternKind.ADDRESS.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
