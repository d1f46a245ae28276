"""Import an mbox into a list's archive: dates kept, duplicates skipped, bad messages reported, threads rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import insert, select

from app.archive.mbox import read_entries, separator_date
from app.archive.months import recount
from app.archive.store import import_row
from app.archive.summary import summarise
from app.archive.threads import rethread
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import ArchivedMessage, MailingList

MAX_IMPORTED = 64 * 1024 * 1024  # a bigger "message" is a broken separator, not mail
BATCH_ROWS = 2000  # rows inserted with one executemany, in one transaction
BATCH_BYTES = 32 * 1024 * 1024  # ... or fewer when they are big (memory holds one batch)
TABLE = ArchivedMessage.__table__


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    threads_changed: int = 0


def readable(raw: bytes) -> tuple[RawMessage | None, str]:
    """The message's header fields and body, or None and why raw cannot be archived."""
    if not raw.strip():
        return None, "empty message"
    if len(raw) > MAX_IMPORTED:
        return None, f"larger than {MAX_IMPORTED // (1024 * 1024)} MB"
    head = RawMessage.parse(raw)
    return (head, "") if head.fields else (None, "no header fields")


def counted(stream: Iterable[bytes], progress: Callable[[int], None] | None) -> Iterator[bytes]:
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


@dataclass
class _Batch:
    rows: list[dict[str, object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    size: int = 0

    @property
    def full(self) -> bool:
        return len(self.rows) >= BATCH_ROWS or self.size >= BATCH_BYTES


def _store_batch(batch: _Batch, report: ImportReport) -> None:
    """Insert a batch with one executemany in one transaction; if that fails, each row alone, reporting the bad."""
    if not batch.rows:
        return
    try:
        db.session.execute(insert(TABLE), batch.rows)
        db.session.commit()
        return
    except Exception:
        db.session.rollback()
    for number, row in zip(batch.numbers, batch.rows, strict=True):
        try:
            db.session.execute(insert(TABLE), [row])
            db.session.commit()
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            db.session.rollback()
            report.imported -= 1
            report.bad.append((number, f"{type(exc).__name__}: {str(exc)[:200]}"))


def _keys(list_id: int) -> tuple[set[str], set[str]]:
    rows = db.session.execute(
        select(ArchivedMessage.message_id, ArchivedMessage.key).where(ArchivedMessage.list_id == list_id)
    ).all()
    return {row.message_id for row in rows}, {row.key for row in rows}


def import_mbox(
    mlist: MailingList, stream: Iterable[bytes], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Archive every message of an mboxrd/mboxo file not already archived (by Message-ID); never all-or-nothing.

    Rows go in BATCH_ROWS at a time (one executemany, one transaction; the search index follows by trigger
    or generated column); a batch that fails is stored again row by row, and only the bad rows are reported.
    Threads and month counts are computed once, at the end.
    """
    list_id = mlist.id
    report = ImportReport()
    known, taken = _keys(list_id)
    batch = _Batch()
    for entry in read_entries(counted(stream, progress)):
        head, reason = readable(entry.raw)
        if head is None:
            report.bad.append((entry.number, reason))
            continue
        summary = summarise(entry.raw, head)
        if summary.message_id in known:
            report.duplicates += 1
            continue
        known.add(summary.message_id)
        fallback = partial(separator_date, entry.separator)
        batch.rows.append(import_row(list_id, entry.raw, summary, fallback, taken))
        batch.numbers.append(entry.number)
        batch.size += len(entry.raw)
        report.imported += 1
        if batch.full:
            _store_batch(batch, report)
            batch = _Batch()
    _store_batch(batch, report)
    report.threads_changed = rethread(list_id)
    recount(list_id)
    db.session.commit()
    return report
