"""An owner removes a message: its permalink answers with a tombstone, search and export forget it."""

from __future__ import annotations

from app.archive.months import count_removed
from app.extensions import db
from app.models import ArchivedMessage
from app.models.audit import record
from app.models.timestamps import utcnow


def remove_message(row: ArchivedMessage, actor: str, user_id: int | None, reason: str) -> bool:
    """Erase the message's content (raw bytes included), keep its key for the tombstone, audit it."""
    if row.removed_at is not None:
        return False
    reason = " ".join(reason.split())[:500]
    record(
        "archive.remove", actor, "archived_message", row.id, row.list_id, user_id,
        key=row.key, message_id=row.message_id, subject=row.subject[:200], reason=reason,
    )  # fmt: skip
    count_removed(row.list_id, row.month)
    row.removed_at, row.removed_by, row.removal_reason = utcnow(), actor, reason
    row.raw, row.size, row.body_text, row.attachments = b"", 0, "", 0
    row.subject = row.subject_norm = row.author = row.author_name = row.author_address = ""
    db.session.commit()
    return True
