"""Panel accounts."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow

NO_PASSWORD = "!"  # prefix of the hash of an account made without a password (e.g. imported list staff)


class User(UserMixin, db.Model):
    """A person who logs in to the panel."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Rotated when the password changes, so every other session of the user ends.
    session_token: Mapped[str] = mapped_column(
        String(64), default=lambda: secrets.token_hex(16), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # An IANA zone name ("Europe/Berlin") the panel shows times in; empty means UTC.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")

    roles = relationship("ListRole", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's id: user id plus session token, so a password change logs others out."""
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        """Hash and store a new password and end every other session."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued so far (logout, password change, deactivation)."""
        self.session_token = secrets.token_hex(16)

    @property
    def awaiting_first_password(self) -> bool:
        """True for an account created without a password (it stays inactive until one is set)."""
        return bool(self.password_hash) and self.password_hash.startswith(NO_PASSWORD)

    def check_password(self, password: str) -> bool:
        """True when the password matches (constant-time compare inside werkzeug)."""
        return check_password_hash(self.password_hash, password)
