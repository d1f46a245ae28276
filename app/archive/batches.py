"""Import batches go into the database on a thread of their own, so parsing the next batch overlaps the insert."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from queue import Queue

from flask import Flask
from sqlalchemy import insert

from app.extensions import db
from app.models import ArchivedMessage

BATCH_ROWS = 2000  # rows inserted with one executemany, in one transaction
BATCH_BYTES = 32 * 1024 * 1024  # ... or fewer when they are big (memory holds at most three batches)
TABLE = ArchivedMessage.__table__


@dataclass
class Batch:
    """Prepared rows and the mbox numbers of their messages."""

    rows: list[dict[str, object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    size: int = 0

    def add(self, number: int, row: dict[str, object], size: int) -> None:
        self.rows.append(row)
        self.numbers.append(number)
        self.size += size

    @property
    def full(self) -> bool:
        return len(self.rows) >= BATCH_ROWS or self.size >= BATCH_BYTES


def store(batch: Batch) -> list[tuple[int, str]]:
    """Insert a batch with one executemany in one transaction; if that fails, each row alone. Returns the bad rows."""
    try:
        db.session.execute(insert(TABLE), batch.rows)
        db.session.commit()
        return []
    except Exception:
        db.session.rollback()
    bad = []
    for number, row in zip(batch.numbers, batch.rows, strict=True):
        try:
            db.session.execute(insert(TABLE), [row])
            db.session.commit()
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            db.session.rollback()
            bad.append((number, f"{type(exc).__name__}: {str(exc)[:200]}"))
    return bad


class Writer:
    """Stores batches in order on one thread (its own app context, so its own session and connection)."""

    def __init__(self, app: Flask) -> None:
        self.bad: list[tuple[int, str]] = []
        self._queue: Queue[Batch | None] = Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(app,), name="archive-import", daemon=True)
        self._thread.start()

    def put(self, batch: Batch) -> None:
        """Queue a batch (waits while the previous one is still queued); empty batches are dropped."""
        if self._failure is not None:
            raise self._failure
        if batch.rows:
            self._queue.put(batch)

    def finish(self) -> list[tuple[int, str]]:
        """Wait for every queued batch; the rows that could not be stored, or the writer's own failure raised."""
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.bad

    def _run(self, app: Flask) -> None:
        with app.app_context():
            try:
                while (batch := self._queue.get()) is not None:
                    self.bad += store(batch)
            except BaseException as exc:  # handed to the importing thread by put() or finish()
                self._failure = exc
                while self._queue.get() is not None:  # let put() and finish() return
                    pass
            finally:
                db.session.remove()
