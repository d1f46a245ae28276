"""Import an mbox into a list's archive: dates kept, duplicates skipped, bad messages reported, threads rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from flask import current_app
from sqlalchemy import select, text

from app.archive.batches import Batch, Writer
from app.archive.mbox import read_entries, separator_date
from app.archive.months import recount
from app.archive.store import import_row
from app.archive.summary import summarise
from app.archive.threads import rethread
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import ArchivedMessage, MailingList

MAX_IMPORTED = 64 * 1024 * 1024  # a bigger "message" is a broken separator, not mail


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


def _keys(list_id: int) -> tuple[set[str], set[str]]:
    rows = db.session.execute(
        select(ArchivedMessage.message_id, ArchivedMessage.key).where(ArchivedMessage.list_id == list_id)
    ).all()
    return {row.message_id for row in rows}, {row.key for row in rows}


def import_mbox(
    mlist: MailingList, stream: Iterable[bytes], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Archive every message of an mboxrd/mboxo file not already archived (by Message-ID); never all-or-nothing.

    Rows go in a batch at a time (one executemany, one transaction; the search index follows by trigger or
    generated column) on a writer thread while this one reads and parses the next batch; a batch that fails
    is stored again row by row, and only the bad rows are reported. Threads and month counts come at the end.
    """
    list_id = mlist.id
    report = ImportReport()
    known, taken = _keys(list_id)
    db.session.commit()  # no transaction of ours stays open beside the writer's
    writer = Writer(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        _parse_into(writer, mlist.id, stream, progress, known, taken, report)
    finally:
        failed = writer.finish()
    report.imported -= len(failed)
    report.bad = sorted(report.bad + failed)
    report.threads_changed = rethread(list_id)
    recount(list_id)
    db.session.commit()
    if report.imported and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE archived_messages"))  # search plans need to know the new rows
        db.session.commit()
    return report


def _parse_into(
    writer: Writer,
    list_id: int,
    stream: Iterable[bytes],
    progress: Callable[[int], None] | None,
    known: set[str],
    taken: set[str],
    report: ImportReport,
) -> None:
    """Read, check and summarise every message, handing full batches of new ones to the writer."""
    batch = Batch()
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
        report.imported += 1
        fallback = partial(separator_date, entry.separator)
        batch.add(entry.number, import_row(list_id, entry.raw, summary, fallback, taken), len(entry.raw))
        if batch.full:
            writer.put(batch)
            batch = Batch()
    writer.put(batch)
