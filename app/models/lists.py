"""Mailing lists and who runs them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class SubscriptionPolicy(enum.StrEnum):
    OPEN = "open"
    CONFIRM = "confirm"
    MODERATE = "moderate"
    CONFIRM_THEN_MODERATE = "confirm_then_moderate"


class PostingPolicy(enum.StrEnum):
    OPEN = "open"
    MEMBERS = "members"
    MODERATED = "moderated"
    ANNOUNCE = "announce"


class NonmemberAction(enum.StrEnum):
    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


class Role(enum.StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"


class DigestFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"  # Mondays
    MONTHLY = "monthly"  # the first of the month
    NEVER = "never"  # only when `mailflow digests send` is run


DEFAULT_DIGEST_FOOTER = (
    "Change how you get {{ list_name }} (digest, every post, no mail) or leave: {{ manage_url }}"
)


class MailingList(db.Model):
    """One list: its address and its settings."""

    __tablename__ = "mailing_lists"
    __table_args__ = (UniqueConstraint("local_part", "domain", name="uq_list_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_part: Mapped[str] = mapped_column(String(64), nullable=False)
    domain: Mapped[str] = mapped_column(String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subscription_policy: Mapped[str] = mapped_column(String(32), default=SubscriptionPolicy.CONFIRM)
    posting_policy: Mapped[str] = mapped_column(String(32), default=PostingPolicy.MEMBERS)
    nonmember_action: Mapped[str] = mapped_column(String(16), default=NonmemberAction.HOLD)
    subject_prefix: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    header_template: Mapped[str] = mapped_column(Text, nullable=False, default="")
    footer_template: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Mailed to a member when they join / leave (empty: no mail); the same sandbox as header and footer.
    welcome_template: Mapped[str] = mapped_column(Text, nullable=False, default="")
    goodbye_template: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Days the raw bytes of settled posts and of bounces are kept (0: until `mailflow purge` says otherwise).
    raw_retention_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reply_to_mode: Mapped[str] = mapped_column(String(16), default="leave")
    reply_to_address: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    max_message_size: Mapped[int] = mapped_column(Integer, default=0)  # bytes; 0 = instance limit
    dmarc_mode: Mapped[str] = mapped_column(String(16), default="auto")
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    hold_days: Mapped[int] = mapped_column(Integer, default=14)
    # Pipeline settings (issue 4).
    moderator_password_hash: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    max_recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=10)  # 0 = no limit
    # Bounce scores at which a member is warned (one notice) and disabled; None: MAILFLOW_BOUNCE_*.
    bounce_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    bounce_warning_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    suspicious_headers: Mapped[str] = mapped_column(Text, nullable=False, default="")  # "Name: regex" lines
    require_explicit_destination: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    administrivia: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    dmarc_author_field: Mapped[str] = mapped_column(String(16), nullable=False, default="reply-to")
    filter_mime_types: Mapped[str] = mapped_column(
        Text, nullable=False, default=""
    )  # one type or type/* a line
    drop_html_alternative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Archive (issue 14): none | private | members | public (app.models.archive.ArchivePolicy).
    archive_policy: Mapped[str] = mapped_column(String(16), nullable=False, default="private")
    archive_obfuscate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Digests (issue 15): how often, at which hour (UTC), early when this many kB wait (0: never early).
    digest_frequency: Mapped[str] = mapped_column(String(8), nullable=False, default="daily")
    digest_hour: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    digest_size_threshold_kb: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    digest_header_template: Mapped[str] = mapped_column(Text, nullable=False, default="")
    digest_footer_template: Mapped[str] = mapped_column(Text, nullable=False, default=DEFAULT_DIGEST_FOOTER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    members = relationship(
        "Member", back_populates="mailing_list", cascade="all, delete-orphan", lazy="dynamic"
    )
    roles = relationship("ListRole", back_populates="mailing_list", cascade="all, delete-orphan")

    @property
    def address(self) -> str:
        """The posting address, local@domain."""
        return f"{self.local_part}@{self.domain}"

    def role_address(self, suffix: str) -> str:
        """An address of the list's family: LIST-request@, LIST-bounces@, ..."""
        return f"{self.local_part}-{suffix}@{self.domain}"

    @property
    def list_id(self) -> str:
        """RFC 2919 list identifier, local.domain."""
        return f"{self.local_part}.{self.domain}"

    @property
    def name(self) -> str:
        """The name people see."""
        return self.display_name or self.local_part


class ListRole(db.Model):
    """A user's role on one list."""

    __tablename__ = "list_roles"
    __table_args__ = (UniqueConstraint("user_id", "list_id", "role", name="uq_list_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)

    user = relationship("User", back_populates="roles")
    mailing_list = relationship("MailingList", back_populates="roles")
