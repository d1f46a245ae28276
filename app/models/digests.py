"""Digests: each issue built once per list, and the posts waiting for the next one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.timestamps import UTCDateTime, utcnow


class DigestIssue(db.Model):
    """One issue of a list's digest; the unique (list, volume, number) key lets only one process build it."""

    __tablename__ = "digest_issues"
    __table_args__ = (UniqueConstraint("list_id", "volume", "number", name="uq_digest_issue_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    volume: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    post_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # in digest order
    # The built formats, each a Post (source "digest") delivered like any post; None: nobody read that format.
    mime_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
    )
    plain_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DigestEntry(db.Model):
    """A distributed post waiting for its list's next digest (issue_id None) or the issue that took it."""

    __tablename__ = "digest_entries"
    __table_args__ = (Index("ix_digest_entries_list_issue", "list_id", "issue_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False)
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("digest_issues.id", ondelete="SET NULL"), nullable=True
    )
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # prepared bytes, for the threshold
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
