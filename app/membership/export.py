"""A list's members as CSV, the one export behind `mailflow members export` and the panel's download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import Row, select

from app.extensions import db
from app.models import Member

EXPORT_COLUMNS = ("email", "name", "status", "delivery", "moderation", "bounce_score", "reason")
EXPORT_BATCH = 2000
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection, OWASP); tab and CR
# too, because some strip them first and then see the formula behind.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """The cell as text a spreadsheet will not run: a leading quote before a formula character."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


COLUMNS = (
    Member.email,
    Member.name,
    Member.status,
    Member.disabled_reason,
    Member.bounce_score,
    Member.delivery_enabled,
    Member.moderation_action,
)


def restore_cell(text: str) -> str:
    """The inverse of safe_cell, for importing an export: drop the quote put before a formula character."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_LEADS) else text


def _row(member: Row) -> list[str]:
    return [
        safe_cell(member.email),
        safe_cell(member.name),
        member.status,
        "on" if member.delivery_enabled else "off",
        # One vocabulary: the CLI, the API and this file say "default" where the panel says "list default".
        "default" if member.moderation_action == "defer" else member.moderation_action,
        f"{member.bounce_score:g}",
        safe_cell(member.disabled_reason),
    ]


def member_rows(list_id: int, batch: int = EXPORT_BATCH) -> Iterator[list[str]]:
    """The header, then one row per member by address, read in keyset batches (memory stays flat)."""
    yield list(EXPORT_COLUMNS)
    after = ""
    while True:
        members = db.session.execute(
            select(*COLUMNS)
            .where(Member.list_id == list_id, Member.email > after)
            .order_by(Member.email)
            .limit(batch)
        ).all()
        yield from (_row(m) for m in members)
        if len(members) < batch:
            return
        after = members[-1].email


def csv_chunks(list_id: int, batch: int = EXPORT_BATCH) -> Iterator[str]:
    """The export as RFC 4180 CSV text (CRLF, so a CR inside a cell is quoted), one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number, row in enumerate(member_rows(list_id, batch), start=1):
        writer.writerow(row)
        if number % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
