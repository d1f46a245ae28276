"""Import an mbox into a list's archive: dates kept, duplicates skipped, bad messages reported, threads rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, text

from app.archive.batches import Batch, Inserters, reserve_ids
from app.archive.mbox import read_entries
from app.archive.months import recount
from app.archive.prepare import Prepared, prepared_in_worker
from app.archive.store import import_row
from app.archive.threads import Threader, rethread
from app.extensions import db
from app.models import ArchivedMessage, MailingList


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    threads_changed: int = 0


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

    A worker process parses windows of messages while this one inserts the previous ones (one executemany or
    COPY, one transaction each; on PostgreSQL on two connections at once); a window the database refuses is
    stored again row by row, and only the bad rows are reported. Threads and month counts come at the end.
    """
    list_id = mlist.id
    report = ImportReport()
    known, taken = _keys(list_id)
    threader = Threader(list_id)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    db.session.commit()  # no transaction of ours stays open beside the inserters'
    inserters = Inserters(current_app._get_current_object(), 2 if postgresql else 0)  # type: ignore[attr-defined]
    try:
        for window in prepared_in_worker(read_entries(counted(stream, progress))):
            batch = _new_rows(list_id, window, known, taken, report)
            report.imported += len(batch.rows)
            _linked(batch, threader)
            inserters.put(batch)
    finally:
        failed = inserters.finish()
    report.imported -= len(failed)
    report.bad = sorted(report.bad + failed)
    report.threads_changed = rethread(list_id)
    recount(list_id)
    db.session.commit()
    if report.imported and postgresql:
        db.session.execute(text("ANALYZE archived_messages"))  # search plans need to know the new rows
        db.session.commit()
    return report


def _linked(batch: Batch, threader: Threader) -> None:
    """Give the batch's rows their ids and thread links (rethread() then only fixes what came out of order)."""
    ids = reserve_ids(len(batch.rows)) if batch.rows else []
    for row, row_id in zip(batch.rows, ids, strict=True):
        row["id"] = row_id
        threader.link(row)


def _new_rows(
    list_id: int, window: list[Prepared], known: set[str], taken: set[str], report: ImportReport
) -> Batch:
    """The window's messages not archived yet as rows; bad ones and duplicates go into the report."""
    batch = Batch()
    for entry, reason, values in window:
        if values is None:
            report.bad.append((entry.number, reason))
            continue
        message_id = str(values["message_id"])
        if message_id in known:
            report.duplicates += 1
            continue
        known.add(message_id)
        batch.add(entry.number, import_row(list_id, entry.raw, values, taken))
    return batch
