"""What the staff of a list are told and how: one-time reply tokens, notice preferences, membership events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class ItemKind(enum.StrEnum):
    """What a moderator decides about: a held post or a pending subscription request."""

    POST = "post"
    REQUEST = "request"


class NoticeMode(enum.StrEnum):
    """How a moderator hears of held posts and requests on one list."""

    EACH = "each"  # one notice per item, at once (the default)
    INTERVAL = "interval"  # a summary every N minutes
    DAILY = "daily"  # a summary once a day


class MembershipNotices(enum.StrEnum):
    """Whether an owner hears of joins, leaves and bounce-disables on one list."""

    OFF = "off"
    EACH = "each"
    DAILY = "daily"


class MembershipEventKind(enum.StrEnum):
    JOINED = "joined"
    LEFT = "left"
    DISABLED = "disabled"


class ModerationToken(db.Model):
    """One reply address LIST-confirm+TOKEN@ given to one staff member for one item (its hash only).

    A row also records that the item was announced to that person: at most one per (user, item).
    """

    __tablename__ = "moderation_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_moderation_tokens_hash"),
        UniqueConstraint("user_id", "kind", "object_id", name="uq_moderation_tokens_user_item"),
        Index("ix_moderation_tokens_item", "kind", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NoticePreference(db.Model):
    """One staff member's notice settings for one list; no row means the defaults (each post, no
    membership notices)."""

    __tablename__ = "notice_preferences"
    __table_args__ = (UniqueConstraint("user_id", "list_id", name="uq_notice_preferences_user_list"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False, default=NoticeMode.EACH)
    interval_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    next_summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    membership: Mapped[str] = mapped_column(String(16), nullable=False, default=MembershipNotices.OFF)
    membership_seen_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_membership_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MembershipEvent(db.Model):
    """A join, leave or bounce-disable on a list, for the owners who asked to hear of them."""

    __tablename__ = "membership_events"
    __table_args__ = (Index("ix_membership_events_list", "list_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
