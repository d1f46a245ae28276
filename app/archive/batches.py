"""Import batches: prepared rows inserted with one executemany in one transaction, else one by one."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert

from app.extensions import db
from app.models import ArchivedMessage

TABLE = ArchivedMessage.__table__
FTS_TRIGGER = "archive_fts_insert"  # SQLite: fills the search index one row at a time (migration a14_archive)
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
        try:
            db.session.execute(insert(TABLE), [row])
            db.session.commit()
        except Exception as exc:  # one message's trouble is reported, the rest goes on
            db.session.rollback()
            bad.append((number, f"{type(exc).__name__}: {str(exc)[:200]}"))
    return bad


def _insert(rows: list[dict[str, object]]) -> None:
    """One executemany. On SQLite the search index is filled after it with one INSERT ... SELECT in the same
    transaction (a quarter of the trigger's cost, row by row), the trigger dropped meanwhile: the transaction
    holds the write lock from its start, so no other row goes in without it, and a rollback restores it."""
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(insert(TABLE), rows)
        return
    conn = db.session.connection()
    if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    trigger = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_TRIGGER,)
    ).scalar()
    last = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM archived_messages").scalar()
    if trigger:
        conn.exec_driver_sql(f"DROP TRIGGER {FTS_TRIGGER}")
    conn.execute(insert(TABLE), rows)
    if trigger:
        conn.exec_driver_sql(FTS_FILL, (last,))
        conn.exec_driver_sql(trigger)
