"""List members (subscribers)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    DISABLED = "disabled"


class ModerationAction(enum.StrEnum):
    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"
    DEFER = "defer"


class PendingAction(enum.StrEnum):
    NONE = ""
    CONFIRM = "confirm"  # waiting for the subscriber to confirm (double opt-in)
    APPROVAL = "approval"  # waiting for a list owner or moderator to approve
    UNSUBSCRIBE = "unsubscribe"  # an unsubscription waiting for the member's confirmation
    INVITE = "invite"  # an owner's invitation: the invitee becomes a member by confirming it


class DeliveryMode(enum.StrEnum):
    """How a member reads the list: every post, a digest (MIME or RFC 1153 plain text), or nothing."""

    REGULAR = "regular"
    MIME_DIGEST = "mime_digest"
    PLAIN_DIGEST = "plain_digest"
    NOMAIL = "nomail"


DIGEST_MODES = (DeliveryMode.MIME_DIGEST, DeliveryMode.PLAIN_DIGEST)


class Member(db.Model):
    """One address subscribed to one list."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("list_id", "email", name="uq_member_list_email"),
        Index("ix_members_list_status", "list_id", "status"),
        Index("ix_members_list_name", "list_id", "name"),  # roster search by name (panel)
        Index("ix_members_email", "email"),  # every list of one address (/manage, a person's data)
        UniqueConstraint("confirm_token", name="uq_members_confirm_token"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=MemberStatus.ACTIVE)
    disabled_reason: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    moderation_action: Mapped[str] = mapped_column(String(16), nullable=False, default=ModerationAction.DEFER)
    delivery_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    delivery_mode: Mapped[str] = mapped_column(String(16), nullable=False, default=DeliveryMode.REGULAR)
    # No mail (posts or digests) before this day; on it, delivery resumes in delivery_mode by itself.
    vacation_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    bounce_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    pending: Mapped[str] = mapped_column(String(16), nullable=False, default=PendingAction.NONE)
    # Short random token: it must fit the local part of LIST-confirm+TOKEN@ (64 octets at most).
    confirm_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_bounce_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bounce_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # None: not yet
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    mailing_list = relationship("MailingList", back_populates="members")
