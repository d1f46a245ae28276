"""Who did what to which object, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One admin or moderator action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    actor: Mapped[str] = mapped_column(String(320), nullable=False, default="")  # email, or "system"/"cli"
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing_lists.id", ondelete="SET NULL"), nullable=True
    )
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


@dataclass(frozen=True)
class Actor:
    """Who does something through a service: a panel user, or a door without one (the CLI)."""

    name: str  # the user's email, or "cli"/"system"
    user_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """The actor for a logged-in panel user."""
        return cls(user.email, user.id)


CLI = Actor("cli")


def record(
    action: str,
    actor: str,
    object_type: str = "",
    object_id: int | None = None,
    list_id: int | None = None,
    user_id: int | None = None,
    **details: object,
) -> AuditEntry:
    """Add an audit entry to the session (the caller commits with its own change)."""
    entry = AuditEntry(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        list_id=list_id,
        user_id=user_id,
        details=details,
    )
    db.session.add(entry)
    return entry


def record_by(
    actor: Actor, action: str, object_type: str, object_id: int | None, list_id: int | None, **details: object
) -> AuditEntry:
    """record() for a service call made by actor."""
    return record(action, actor.name, object_type, object_id, list_id, actor.user_id, **details)
