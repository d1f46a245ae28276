"""Threads: by In-Reply-To/References first, then by subject; incrementally on arrival, wholly on rebuild."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from app.archive.summary import is_reply
from app.extensions import db
from app.models import ArchivedMessage

SUBJECT_WINDOW = timedelta(days=90)  # a reply by subject alone joins a thread this recent
TABLE = ArchivedMessage.__table__
RELINK = (  # one executemany, no ORM objects
    update(TABLE)
    .where(TABLE.c.id == bindparam("row"))
    .values(parent_id=bindparam("parent"), thread_id=bindparam("thread"))
)


def _by_references(row: ArchivedMessage, refs: list[str]) -> ArchivedMessage | None:
    if not refs:
        return None
    found = db.session.scalars(
        select(ArchivedMessage).where(
            ArchivedMessage.list_id == row.list_id,
            ArchivedMessage.message_id.in_(refs),
            ArchivedMessage.id != row.id,
        )
    ).all()
    rank = {ref: position for position, ref in enumerate(refs)}
    return min(found, key=lambda m: (rank.get(m.message_id, len(rank)), m.id), default=None)


def _by_subject(row: ArchivedMessage) -> ArchivedMessage | None:
    if not row.subject_norm or not (row.refs or is_reply(row.subject)):
        return None
    return db.session.scalars(
        select(ArchivedMessage)
        .where(
            ArchivedMessage.list_id == row.list_id,
            ArchivedMessage.subject_norm == row.subject_norm,
            ArchivedMessage.id != row.id,
            ArchivedMessage.date <= row.date,
            ArchivedMessage.date >= row.date - SUBJECT_WINDOW,
        )
        .order_by(ArchivedMessage.date.desc(), ArchivedMessage.id.desc())
        .limit(1)
    ).first()


def attach(row: ArchivedMessage) -> None:
    """Put a newly archived message (flushed, so it has an id) into its thread, and adopt earlier replies."""
    refs = row.refs.split() if row.refs else []
    parent = _by_references(row, refs) or _by_subject(row)
    row.parent_id = parent.id if parent else None
    row.thread_id = (parent.thread_id or parent.id) if parent else row.id
    orphans = db.session.scalars(
        select(ArchivedMessage).where(
            ArchivedMessage.list_id == row.list_id,
            ArchivedMessage.in_reply_to == row.message_id,
            ArchivedMessage.parent_id.is_(None),
            ArchivedMessage.id != row.id,
        )
    ).all()
    for child in orphans:  # replies that arrived before the message they answer
        old_thread = child.thread_id
        child.parent_id = row.id
        db.session.execute(
            update(ArchivedMessage)
            .where(ArchivedMessage.list_id == row.list_id, ArchivedMessage.thread_id == old_thread)
            .values(thread_id=row.thread_id)
            .execution_options(synchronize_session="fetch")
        )


@dataclass
class _Node:
    id: int
    message_id: str
    refs: list[str]
    subject: str
    subject_norm: str
    date: datetime
    stored: tuple[int | None, int | None]  # (parent_id, thread_id) as the row has them
    parent: int | None = None


def _nodes(list_id: int) -> list[_Node]:
    rows = db.session.execute(
        select(
            ArchivedMessage.id,
            ArchivedMessage.message_id,
            ArchivedMessage.refs,
            ArchivedMessage.subject,
            ArchivedMessage.subject_norm,
            ArchivedMessage.date,
            ArchivedMessage.parent_id,
            ArchivedMessage.thread_id,
        )
        .where(ArchivedMessage.list_id == list_id)
        .order_by(ArchivedMessage.date, ArchivedMessage.id)
    ).all()
    return [
        _Node(
            r.id, r.message_id, r.refs.split(), r.subject, r.subject_norm, r.date, (r.parent_id, r.thread_id)
        )
        for r in rows
    ]


def _link(nodes: list[_Node]) -> None:
    by_mid: dict[str, int] = {}
    for node in nodes:
        by_mid.setdefault(node.message_id, node.id)
    latest: dict[str, _Node] = {}
    for node in nodes:  # chronological: a subject match only ever points back in time
        node.parent = next((by_mid[r] for r in node.refs if r in by_mid and by_mid[r] != node.id), None)
        if node.parent is None and node.subject_norm and (node.refs or is_reply(node.subject)):
            earlier = latest.get(node.subject_norm)
            if earlier is not None and node.date - earlier.date <= SUBJECT_WINDOW:
                node.parent = earlier.id
        if node.subject_norm:
            latest[node.subject_norm] = node


def _roots(nodes: list[_Node]) -> dict[int, int]:
    """Each message's thread root, following parents; a reference loop is cut where it closes."""
    parent = {node.id: node.parent for node in nodes}
    root: dict[int, int] = {}
    for node in nodes:
        path: list[int] = []
        on_path: set[int] = set()
        current = node.id
        while current not in root:
            up = parent[current]
            if current in on_path or up is None:
                parent[current] = None
                root[current] = current
                break
            path.append(current)
            on_path.add(current)
            current = up
        for member in path:
            root[member] = root[current]
    for node in nodes:
        node.parent = parent[node.id]
    return root


def rethread(list_id: int) -> int:
    """Recompute every thread of a list from the stored headers; returns how many rows changed."""
    nodes = _nodes(list_id)
    _link(nodes)
    root = _roots(nodes)
    changes = [
        {"row": node.id, "parent": node.parent, "thread": root[node.id]}
        for node in nodes
        if node.stored != (node.parent, root[node.id])
    ]
    for start in range(0, len(changes), 5000):
        db.session.execute(RELINK, changes[start : start + 5000])
    return len(changes)


@dataclass
class _Known:
    id: int
    thread: int
    date: datetime


class Threader:
    """Thread links for imported rows before they are inserted, as rethread() would set them for an mbox in
    date order (a reply before its parent, or a message older than the archive, is linked by rethread()
    afterwards): the UPDATE of every row after an import was a third of its time on PostgreSQL."""

    def __init__(self, list_id: int) -> None:
        self.by_mid: dict[str, _Known] = {}
        self.latest: dict[str, _Known] = {}
        rows = db.session.execute(
            select(ArchivedMessage.id, ArchivedMessage.message_id, ArchivedMessage.subject_norm,
                   ArchivedMessage.date, ArchivedMessage.thread_id)
            .where(ArchivedMessage.list_id == list_id)
            .order_by(ArchivedMessage.date, ArchivedMessage.id)
        )  # fmt: skip
        for row in rows:
            self._remember(
                row.message_id, row.subject_norm, _Known(row.id, row.thread_id or row.id, row.date)
            )

    def link(self, row: dict) -> None:
        """Set parent_id and thread_id of a new row (which has its id already), and remember it."""
        own, refs, subject_norm = row["id"], str(row["refs"]).split(), str(row["subject_norm"])
        parent = next((self.by_mid[r] for r in refs if r in self.by_mid and self.by_mid[r].id != own), None)
        if parent is None and subject_norm and (refs or is_reply(str(row["subject"]))):
            earlier = self.latest.get(subject_norm)
            if earlier is not None and earlier.date <= row["date"] <= earlier.date + SUBJECT_WINDOW:
                parent = earlier
        row["parent_id"] = parent.id if parent else None
        row["thread_id"] = parent.thread if parent else own
        self._remember(str(row["message_id"]), subject_norm, _Known(own, row["thread_id"], row["date"]))

    def _remember(self, message_id: str, subject_norm: str, known: _Known) -> None:
        self.by_mid.setdefault(message_id, known)
        if subject_norm:
            earlier = self.latest.get(subject_norm)
            if earlier is None or known.date >= earlier.date:
                self.latest[subject_norm] = known
