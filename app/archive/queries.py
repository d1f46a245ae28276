"""What the archive pages read: months with counts, a month's threads, a thread in tree order, neighbours."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from app.extensions import db
from app.models import ArchivedMessage

THREAD_PAGE = 300  # messages of one thread per page
MONTH_PAGE = 200  # threads of one month per page
LISTED = (
    ArchivedMessage.id,
    ArchivedMessage.key,
    ArchivedMessage.subject,
    ArchivedMessage.author_name,
    ArchivedMessage.author_address,
    ArchivedMessage.date,
    ArchivedMessage.parent_id,
    ArchivedMessage.thread_id,
    ArchivedMessage.removed_at,
    ArchivedMessage.attachments,
)
SHOWN = ArchivedMessage.removed_at.is_(None)


@dataclass(frozen=True)
class ThreadInMonth:
    thread_id: int
    messages: int
    last: datetime
    first_key: str
    subject: str
    author: str


def month_threads(list_id: int, month: str, page: int = 1) -> tuple[list[ThreadInMonth], bool]:
    """The threads with messages in month, most recently active first, and whether more follow."""
    grouped = (
        select(
            ArchivedMessage.thread_id,
            func.count().label("n"),
            func.max(ArchivedMessage.date).label("last"),
            func.min(ArchivedMessage.id).label("first"),
        )
        .where(ArchivedMessage.list_id == list_id, ArchivedMessage.month == month, SHOWN)
        .group_by(ArchivedMessage.thread_id)
        .order_by(func.max(ArchivedMessage.date).desc())
        .limit(MONTH_PAGE + 1)
        .offset((page - 1) * MONTH_PAGE)
    ).subquery()
    rows = db.session.execute(
        select(
            grouped.c.thread_id,
            grouped.c.n,
            grouped.c.last,
            ArchivedMessage.key,
            ArchivedMessage.subject,
            ArchivedMessage.author_name,
            ArchivedMessage.author_address,
        )
        .join(ArchivedMessage, ArchivedMessage.id == grouped.c.first)
        .order_by(grouped.c.last.desc())
    ).all()
    threads = [
        ThreadInMonth(
            r.thread_id or 0, r.n, _aware(r.last), r.key, r.subject, r.author_name or r.author_address
        )
        for r in rows[:MONTH_PAGE]
    ]
    return threads, len(rows) > MONTH_PAGE


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def by_key(list_id: int, key: str, content: bool = True) -> ArchivedMessage | None:
    """The archived message under this permalink key (removed ones too: they answer with a tombstone).

    content=False leaves the raw bytes and the search text unread until asked for (the thread page).
    """
    query = select(ArchivedMessage).where(ArchivedMessage.list_id == list_id, ArchivedMessage.key == key)
    if not content:
        query = query.options(defer(ArchivedMessage.raw), defer(ArchivedMessage.body_text))
    return db.session.scalar(query)


@dataclass(frozen=True)
class TreeEntry:
    row: object
    depth: int


def thread_tree(thread_id: int, page: int = 1) -> tuple[list[TreeEntry], int]:
    """One page of a thread in tree order (replies under what they answer, by date), and the thread's size."""
    rows = db.session.execute(
        select(*LISTED)
        .where(ArchivedMessage.thread_id == thread_id)
        .order_by(ArchivedMessage.date, ArchivedMessage.id)
    ).all()
    children: dict[int | None, list] = {}
    ids = {row.id for row in rows}
    for row in rows:
        parent = row.parent_id if row.parent_id in ids and row.parent_id != row.id else None
        children.setdefault(parent, []).append(row)
    ordered: list[TreeEntry] = []
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        row, depth = stack.pop()
        if row.id in seen:
            continue
        seen.add(row.id)
        ordered.append(TreeEntry(row, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(row.id, []))]
    ordered += [TreeEntry(row, 0) for row in rows if row.id not in seen]  # cut off by a reference loop
    start = (page - 1) * THREAD_PAGE
    return ordered[start : start + THREAD_PAGE], len(ordered)


def neighbours(row: ArchivedMessage) -> tuple[str | None, str | None]:
    """The keys of the previous and next message in the same thread, by date."""
    same = (ArchivedMessage.thread_id == row.thread_id, SHOWN, ArchivedMessage.id != row.id)
    before = db.session.scalar(
        select(ArchivedMessage.key)
        .where(
            *same,
            (ArchivedMessage.date < row.date)
            | ((ArchivedMessage.date == row.date) & (ArchivedMessage.id < row.id)),
        )
        .order_by(ArchivedMessage.date.desc(), ArchivedMessage.id.desc())
        .limit(1)
    )
    after = db.session.scalar(
        select(ArchivedMessage.key)
        .where(
            *same,
            (ArchivedMessage.date > row.date)
            | ((ArchivedMessage.date == row.date) & (ArchivedMessage.id > row.id)),
        )
        .order_by(ArchivedMessage.date, ArchivedMessage.id)
        .limit(1)
    )
    return before, after


def latest(list_id: int, limit: int = 30) -> list[ArchivedMessage]:
    """The newest messages, for the Atom feed."""
    return list(
        db.session.scalars(
            select(ArchivedMessage)
            .where(ArchivedMessage.list_id == list_id, SHOWN)
            .order_by(ArchivedMessage.date.desc())
            .limit(limit)
        )
    )


def export_rows(
    list_id: int, month: str | None = None, chunk: int = 1000
) -> Iterator[tuple[str, datetime, bytes]]:
    """(sender, date, raw) of every shown message, by date, fetched a chunk at a time (flat memory)."""
    query = select(ArchivedMessage.id).where(ArchivedMessage.list_id == list_id, SHOWN)
    if month:
        query = query.where(ArchivedMessage.month == month)
    ids = list(db.session.scalars(query.order_by(ArchivedMessage.date, ArchivedMessage.id)))
    fetch = _fetch_binary if db.session.get_bind().dialect.name == "postgresql" else _fetch
    for start in range(0, len(ids), chunk):
        wanted = ids[start : start + chunk]
        by_id = {row[0]: row for row in fetch(wanted)}
        for ident in wanted:
            row = by_id.get(ident)
            if row is not None:
                yield row[1], _aware(row[2]), row[3]
        db.session.expire_all()


def _fetch(ids: list[int]) -> Sequence[Any]:
    """(id, sender, date, raw) of the shown messages among ids."""
    columns = (ArchivedMessage.id, ArchivedMessage.author_address, ArchivedMessage.date, ArchivedMessage.raw)
    return db.session.execute(select(*columns).where(ArchivedMessage.id.in_(ids), SHOWN)).all()


EXPORT_BINARY = (
    "SELECT id, author_address, date, raw FROM archived_messages WHERE id = ANY(%s) AND removed_at IS NULL"
)


def _fetch_binary(ids: list[int]) -> Sequence[Any]:
    """_fetch through psycopg's binary protocol: bytea as bytes, not hex text (the export's cost, halved)."""
    driver: Any = db.session.connection().connection.driver_connection
    with driver.cursor(binary=True) as cursor:
        cursor.execute(EXPORT_BINARY, (ids,))
        return cursor.fetchall()
