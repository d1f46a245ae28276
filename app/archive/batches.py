"""Import batches: prepared rows inserted with one executemany in one transaction, else one by one."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import insert, text

from app.extensions import db
from app.models import ArchivedMessage

TABLE = ArchivedMessage.__table__
FTS_TRIGGER = "archive_fts_insert"  # SQLite: fills the search index one row at a time (migration a14_archive)
LINKS = ("id", "parent_id", "thread_id")  # what a batch's rows carry beforehand, valid only in the batch
NEXT_IDS = "SELECT nextval(pg_get_serial_sequence('archived_messages', 'id')) FROM generate_series(1, :count)"
FTS_FILL = (
    "INSERT INTO archive_fts(rowid, subject, author, body_text) "
    "SELECT id, subject, author, body_text FROM archived_messages WHERE id > ?"
)


@dataclass
class Batch:
    """Prepared rows and the mbox numbers of their messages."""

    rows: list[dict[str, object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)

    def add(self, number: int, row: dict[str, object]) -> None:
        self.rows.append(row)
        self.numbers.append(number)


def reserve_ids(count: int) -> list[int]:
    """Ids for count new rows that nobody else takes: from PostgreSQL's sequence, or on SQLite the next ones
    under the write lock, which this session then holds until it stores the batch."""
    if db.session.get_bind().dialect.name == "postgresql":
        ids = sorted(db.session.execute(text(NEXT_IDS), {"count": count}).scalars())
        db.session.commit()
        return ids
    last = _locked_last_id()
    return list(range(last + 1, last + count + 1))


def _locked_last_id() -> int:
    """SQLite: the highest id, in a transaction that holds the write lock (begun here if none is open)."""
    conn = db.session.connection()
    if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM archived_messages").scalar() or 0


def store(batch: Batch) -> list[tuple[int, str]]:
    """Insert a batch with one executemany in one transaction; if that fails, each row alone. Returns the bad rows."""
    if not batch.rows:
        return []
    try:
        _insert(batch.rows)
        db.session.commit()
        return []
    except Exception:
        db.session.rollback()
    bad = []
    for number, row in zip(batch.numbers, batch.rows, strict=True):
        alone = {name: value for name, value in row.items() if name not in LINKS}  # rethread() links it
        try:
            db.session.execute(insert(TABLE), [alone])
            db.session.commit()
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            db.session.rollback()
            bad.append((number, f"{type(exc).__name__}: {str(exc)[:200]}"))
    return bad


def _insert(rows: list[dict[str, object]]) -> None:
    """One executemany. On SQLite the search index is filled after it with one INSERT ... SELECT in the same
    transaction (a quarter of the trigger's cost, row by row), the trigger dropped meanwhile: the transaction
    holds the write lock from its start, so no other row goes in without it, and a rollback restores it."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy(rows)
        return
    if dialect != "sqlite":
        db.session.execute(insert(TABLE), rows)
        return
    last = _locked_last_id()
    conn = db.session.connection()
    trigger = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_TRIGGER,)
    ).scalar()
    if trigger:
        conn.exec_driver_sql(f"DROP TRIGGER {FTS_TRIGGER}")
    conn.execute(insert(TABLE), rows)
    if trigger:
        conn.exec_driver_sql(FTS_FILL, (last,))
        conn.exec_driver_sql(trigger)


def _copy(rows: list[dict[str, object]]) -> None:
    """PostgreSQL: the rows through COPY in the session's transaction (psycopg's C writer; an executemany
    rendered and bound 20 parameters a row in Python, which was most of the insert's time)."""
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY archived_messages ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in columns])


class Inserters:
    """Stores batches on `count` threads of their own (each its own app context, session and connection), at
    most `count` waiting; count 0 stores each batch at once on the calling thread.

    On PostgreSQL the server computes each row's tsvector (half a millisecond of one core per 2 kB message):
    two connections use both cores while a forked process parses. On SQLite, one writer at a time: a thread
    would only fight the calling one for the GIL.
    """

    def __init__(self, app: Flask, count: int) -> None:
        self.bad: list[tuple[int, str]] = []
        self._app = app
        self._count = count
        self._pending: deque[Future[list[tuple[int, str]]]] = deque()
        self._pool = (
            ThreadPoolExecutor(max_workers=count, thread_name_prefix="archive-import") if count else None
        )

    def put(self, batch: Batch) -> None:
        """Store the batch, or queue it and wait while `count` others are still queued."""
        if self._pool is None:
            self.bad += store(batch)
            return
        self._pending.append(self._pool.submit(self._store, batch))
        while len(self._pending) > self._count:
            self.bad += self._pending.popleft().result()

    def finish(self) -> list[tuple[int, str]]:
        """Wait for every queued batch; the rows that could not be stored."""
        try:
            while self._pending:
                self.bad += self._pending.popleft().result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        return self.bad

    def _store(self, batch: Batch) -> list[tuple[int, str]]:
        with self._app.app_context():
            try:
                return store(batch)
            finally:
                db.session.remove()
