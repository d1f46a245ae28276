"""Member operations shared by the panel, the CLI and the import job: one function per operation."""

from __future__ import annotations

from collections.abc import Iterable

from app.membership.insert import insert_new_members
from app.membership.lines import Entry


def add_members(list_id: int, entries: Iterable[Entry]) -> tuple[int, int]:
    """Insert the new addresses as active members; returns (added, already members). The caller commits."""
    wanted = {e.email: e.name for e in entries}
    added = insert_new_members(list_id, list(wanted.items()))
    return added, len(wanted) - added
