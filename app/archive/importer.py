"""Import an mbox into a list's archive: dates kept, duplicates skipped, bad messages reported, threads rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import select

from app.archive.mbox import read_entries, separator_date
from app.archive.store import add_message
from app.archive.summary import summarise
from app.archive.threads import rethread
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import ArchivedMessage, MailingList

MAX_IMPORTED = 64 * 1024 * 1024  # a bigger "message" is a broken separator, not mail
COMMIT_EVERY = 500


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    threads_changed: int = 0


def problem(raw: bytes) -> str:
    """Why raw cannot be archived, or "" when it can."""
    if not raw.strip():
        return "empty message"
    if len(raw) > MAX_IMPORTED:
        return f"larger than {MAX_IMPORTED // (1024 * 1024)} MB"
    if not RawMessage.parse(raw).fields:
        return "no header fields"
    return ""


def counted(stream: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """The stream's lines, telling progress how many bytes went by (every 64 kB)."""
    pending = 0
    for line in stream:
        pending += len(line)
        if progress is not None and pending >= 65536:
            progress(pending)
            pending = 0
        yield line
    if progress is not None and pending:
        progress(pending)


def _forget_rows() -> None:
    """Flat memory: imported rows leave the session once committed."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, ArchivedMessage):
            db.session.expunge(instance)


def _known(list_id: int) -> set[str]:
    return set(
        db.session.scalars(select(ArchivedMessage.message_id).where(ArchivedMessage.list_id == list_id))
    )


def import_mbox(
    mlist: MailingList, stream: BinaryIO, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Archive every message of an mboxrd/mboxo file not already archived (by Message-ID); never all-or-nothing."""
    list_id = mlist.id
    report, known = ImportReport(), _known(list_id)
    for entry in read_entries(counted(stream, progress)):
        reason = problem(entry.raw)
        if reason:
            report.bad.append((entry.number, reason))
            continue
        try:
            summary = summarise(entry.raw)
            if summary.message_id in known:
                report.duplicates += 1
                continue
            with db.session.begin_nested():
                add_message(
                    mlist,
                    entry.raw,
                    summary=summary,
                    fallback_date=separator_date(entry.separator),
                    thread=False,
                )
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            report.bad.append((entry.number, f"{type(exc).__name__}: {str(exc)[:200]}"))
            continue
        known.add(summary.message_id)
        report.imported += 1
        if report.imported % COMMIT_EVERY == 0:
            db.session.commit()
            _forget_rows()
    db.session.commit()
    report.threads_changed = rethread(list_id)
    db.session.commit()
    return report
