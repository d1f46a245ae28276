"""Messages per month of a list's archive, kept in archive_months so the month index never counts rows."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import ArchivedMessage, ArchiveMonth


def months(list_id: int) -> list[tuple[str, int]]:
    """(YYYY-MM, messages) for every month with a shown message, newest first."""
    rows = db.session.execute(
        select(ArchiveMonth.month, ArchiveMonth.messages)
        .where(ArchiveMonth.list_id == list_id, ArchiveMonth.messages > 0)
        .order_by(ArchiveMonth.month.desc())
    ).all()
    return [(month, count) for month, count in rows]


def count_added(list_id: int, month: str) -> None:
    """One more message in month (an upsert: two workers archiving at once both count)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ArchiveMonth).values(list_id=list_id, month=month, messages=1)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["list_id", "month"], set_={"messages": ArchiveMonth.messages + 1}
        )
    )


def count_removed(list_id: int, month: str) -> None:
    """One message fewer in month."""
    db.session.execute(
        update(ArchiveMonth)
        .where(ArchiveMonth.list_id == list_id, ArchiveMonth.month == month, ArchiveMonth.messages > 0)
        .values(messages=ArchiveMonth.messages - 1)
    )


def recount(list_id: int) -> None:
    """Count every month of the list again from the rows (after an import or a rebuild)."""
    counted = db.session.execute(
        select(ArchivedMessage.month, func.count())
        .where(ArchivedMessage.list_id == list_id, ArchivedMessage.removed_at.is_(None))
        .group_by(ArchivedMessage.month)
    ).all()
    db.session.execute(delete(ArchiveMonth).where(ArchiveMonth.list_id == list_id))
    if counted:
        db.session.execute(
            insert(ArchiveMonth),
            [{"list_id": list_id, "month": month, "messages": count} for month, count in counted],
        )
