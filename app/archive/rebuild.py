"""Rebuild a list's archive from the raw bytes: every derived column, the threads, missing posts added."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.archive.catchup import archive_missing
from app.archive.months import recount
from app.archive.store import apply_summary
from app.archive.summary import summarise
from app.archive.threads import rethread
from app.extensions import db
from app.models import ArchivedMessage, MailingList

CHUNK = 500


@dataclass
class RebuildReport:
    messages: int = 0
    changed: int = 0
    posts_archived: int = 0
    threads_changed: int = 0


def _reindex(ids: list[int], report: RebuildReport) -> None:
    rows = list(db.session.scalars(select(ArchivedMessage).where(ArchivedMessage.id.in_(ids))))
    for row in rows:
        apply_summary(row, summarise(row.raw), fallback_date=row.date)
        report.messages += 1
        report.changed += bool(db.session.is_modified(row))
    db.session.commit()
    for row in rows:  # flat memory: done rows leave the session
        db.session.expunge(row)


def rebuild(mlist: MailingList) -> RebuildReport:
    """Recompute everything the archive derives; permalink keys and removals stay. Running it twice changes nothing."""
    report = RebuildReport(posts_archived=archive_missing(mlist.id, look_back=None))
    list_id = mlist.id
    ids = list(
        db.session.scalars(
            select(ArchivedMessage.id)
            .where(ArchivedMessage.list_id == list_id, ArchivedMessage.removed_at.is_(None))
            .order_by(ArchivedMessage.id)
        )
    )
    for start in range(0, len(ids), CHUNK):
        _reindex(ids[start : start + CHUNK], report)
    report.threads_changed = rethread(list_id)
    recount(list_id)
    db.session.commit()
    return report
