"""Import an mbox into a list's archive: dates kept, duplicates skipped, bad messages reported, threads rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from app.archive.mbox import Entry, read_entries, separator_date
from app.archive.store import add_message
from app.archive.summary import Summary, summarise
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


def _forget_rows() -> None:
    """Flat memory: imported rows leave the session once committed."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, ArchivedMessage):
            db.session.expunge(instance)


def _known(list_id: int) -> set[str]:
    return set(
        db.session.scalars(select(ArchivedMessage.message_id).where(ArchivedMessage.list_id == list_id))
    )


def _add(mlist: MailingList, entry: Entry, summary: Summary, taken: set[str]) -> None:
    fallback = separator_date(entry.separator)
    add_message(mlist, entry.raw, summary=summary, fallback_date=fallback, thread=False, taken=taken)


def _store_batch(
    mlist: MailingList, batch: list[tuple[Entry, Summary]], taken: set[str], report: ImportReport
) -> None:
    """Insert a batch in one transaction; if that fails, each message in its own, reporting the bad ones."""
    try:
        db.session.commit()
        return
    except Exception:
        db.session.rollback()
    taken.clear()
    taken.update(_keys(mlist.id)[1])  # the batch's keys are free again
    for entry, summary in batch:
        try:
            _add(mlist, entry, summary, taken)
            db.session.commit()
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            db.session.rollback()
            report.imported -= 1
            report.bad.append((entry.number, f"{type(exc).__name__}: {str(exc)[:200]}"))


def _keys(list_id: int) -> tuple[set[str], set[str]]:
    rows = db.session.execute(
        select(ArchivedMessage.message_id, ArchivedMessage.key).where(ArchivedMessage.list_id == list_id)
    ).all()
    return {row.message_id for row in rows}, {row.key for row in rows}


def import_mbox(
    mlist: MailingList, stream: Iterable[bytes], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Archive every message of an mboxrd/mboxo file not already archived (by Message-ID); never all-or-nothing.

    Rows are inserted a batch at a time (a savepoint per message would be a transaction each on SQLite);
    a batch that fails is stored again message by message, and only the bad ones are reported and skipped.
    """
    list_id = mlist.id
    report = ImportReport()
    known, taken = _keys(list_id)
    batch: list[tuple[Entry, Summary]] = []
    for entry in read_entries(counted(stream, progress)):
        reason = problem(entry.raw)
        if reason:
            report.bad.append((entry.number, reason))
            continue
        summary = summarise(entry.raw)
        if summary.message_id in known:
            report.duplicates += 1
            continue
        _add(mlist, entry, summary, taken)
        known.add(summary.message_id)
        batch.append((entry, summary))
        report.imported += 1
        if len(batch) >= COMMIT_EVERY:
            _store_batch(mlist, batch, taken, report)
            _forget_rows()
            batch = []
    _store_batch(mlist, batch, taken, report)
    report.threads_changed = rethread(list_id)
    db.session.commit()
    return report
