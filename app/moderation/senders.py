"""A list's sender lists (always allowed, banned) and site-wide bans: view, add, edit, remove, import, export.

The one service behind the panel's Senders tab and `mailflow bans ...`. Every entry here is typed by a
person (or read from a file they chose), so it may be a ^regex, validated by bans.typed_kind; entries made
from a held post or a member stay exact addresses (app/moderation/bans.py). Each change is audited.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import select

from app.extensions import db
from app.models import AllowedSender, Ban, MailingList
from app.models.audit import Actor, record_by
from app.moderation.bans import InvalidPattern, typed_kind

MAX_IMPORT_LINES = 10_000
MAX_PATTERN = 500
CSV_HEADER = ("pattern", "kind", "added")
Entry = Ban | AllowedSender


class SenderList(enum.StrEnum):
    """Which sender list an entry belongs to."""

    ALLOWED = "allowed"
    BANNED = "banned"


MODELS: dict[SenderList, type[Ban] | type[AllowedSender]] = {
    SenderList.ALLOWED: AllowedSender,
    SenderList.BANNED: Ban,
}
AUDIT = {SenderList.ALLOWED: "allow", SenderList.BANNED: "ban"}


class SiteWideAllowNotSupported(InvalidPattern):
    """Always-allowed senders belong to one list; only bans can be site-wide."""


def _model(which: SenderList, mlist: MailingList | None) -> type[Ban] | type[AllowedSender]:
    if mlist is None and which is SenderList.ALLOWED:
        raise SiteWideAllowNotSupported("Always-allowed senders belong to one list; only bans are site-wide.")
    return MODELS[which]


def _scope_filter(model: type[Ban] | type[AllowedSender], mlist: MailingList | None):
    return model.list_id.is_(None) if mlist is None else model.list_id == mlist.id


def entries(which: SenderList, mlist: MailingList | None) -> list[Entry]:
    """The entries of one sender list of mlist (None: the site-wide bans), oldest first."""
    model = _model(which, mlist)
    return list(db.session.scalars(select(model).where(_scope_filter(model, mlist)).order_by(model.id)))


def entry(which: SenderList, mlist: MailingList | None, entry_id: int) -> Entry | None:
    """One entry of that list and scope, or None (an id of another list is not found)."""
    model = _model(which, mlist)
    found = cast(Entry | None, db.session.get(model, entry_id))
    if found is None or found.list_id != (mlist.id if mlist else None):
        return None
    return found


def clean_pattern(which: SenderList, mlist: MailingList | None, pattern: str, skip_id: int = 0):
    """(pattern, kind) of what a person typed, validated and not on that list yet; raises InvalidPattern."""
    pattern = pattern.strip()
    if len(pattern) > MAX_PATTERN:
        raise InvalidPattern(f"The pattern is longer than {MAX_PATTERN} characters.")
    kind = typed_kind(pattern)
    if kind == "address":
        pattern = pattern.lower()
    for other in entries(which, mlist):
        if other.id != skip_id and other.pattern.lower() == pattern.lower():
            raise InvalidPattern(f"{pattern} is on this list already.")
    return pattern, kind


def _scope_ids(mlist: MailingList | None) -> tuple[str, int | None]:
    return ("list", mlist.id) if mlist else ("site", None)


def _audit(actor: Actor, which: SenderList, verb: str, mlist: MailingList | None, **details: object) -> None:
    object_type, object_id = _scope_ids(mlist)
    record_by(actor, f"{AUDIT[which]}.{verb}", object_type, object_id, object_id, **details)


def add(which: SenderList, mlist: MailingList | None, pattern: str, actor: Actor) -> Entry:
    """Add a typed address or ^regex to a sender list (None: a site-wide ban); commits, audited."""
    model = _model(which, mlist)
    pattern, kind = clean_pattern(which, mlist, pattern)
    added = model(list_id=mlist.id if mlist else None, pattern=pattern, kind=kind)
    db.session.add(added)
    _audit(actor, which, "add", mlist, pattern=pattern, kind=str(kind))
    db.session.commit()
    return added


def edit(which: SenderList, mlist: MailingList | None, entry_id: int, pattern: str, actor: Actor) -> Entry:
    """Replace one entry's pattern with a typed one; commits, audited. Raises LookupError or InvalidPattern."""
    found = entry(which, mlist, entry_id)
    if found is None:
        raise LookupError(f"No such entry: {entry_id}.")
    new, kind = clean_pattern(which, mlist, pattern, skip_id=entry_id)
    _audit(actor, which, "edit", mlist, pattern=new, kind=str(kind), was=found.pattern)
    found.pattern, found.kind = new, kind
    db.session.commit()
    return found


def remove(which: SenderList, mlist: MailingList | None, entry_id: int, actor: Actor) -> Entry:
    """Remove one entry; commits, audited. Raises LookupError when that list has no such entry."""
    found = entry(which, mlist, entry_id)
    if found is None:
        raise LookupError(f"No such entry: {entry_id}.")
    db.session.delete(found)
    _audit(actor, which, "remove", mlist, pattern=found.pattern, kind=found.kind)
    db.session.commit()
    return found


@dataclass
class ImportReport:
    """What an import did: how many were added, already there, and which lines could not be used."""

    added: int = 0
    already: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)

    def summary(self) -> str:
        """One sentence for the panel or the terminal."""
        text = f"Added {self.added}; {self.already} were there already"
        if self.problems:
            text += f"; {len(self.problems)} line(s) not used"
        return text + "."


def import_lines(which: SenderList, mlist: MailingList | None, text: str, actor: Actor) -> ImportReport:
    """Add one address or ^regex a line, or the rows of an export_csv file (blank lines and # comments skipped).

    Lines that do not validate are reported and skipped; the rest is committed with one audit entry.
    """
    model, report = _model(which, mlist), ImportReport()
    known = {e.pattern.lower() for e in entries(which, mlist)}
    for number, pattern in _patterns(text):
        try:
            kind = typed_kind(pattern)
        except InvalidPattern as exc:
            report.problems.append((number, str(exc)))
            continue
        pattern = pattern.lower() if kind == "address" else pattern
        if pattern.lower() in known:
            report.already += 1
            continue
        known.add(pattern.lower())
        db.session.add(model(list_id=mlist.id if mlist else None, pattern=pattern, kind=kind))
        report.added += 1
    if report.added:
        _audit(actor, which, "import", mlist, added=report.added)
    db.session.commit()
    return report


def _patterns(text: str) -> list[tuple[int, str]]:
    """(line number, pattern) of an import: whole lines, or the first column when it starts with the CSV header."""
    lines = text.splitlines()[:MAX_IMPORT_LINES]
    if lines and lines[0].strip().lower().startswith(CSV_HEADER[0] + ","):
        rows = [(n, row[0] if row else "") for n, row in enumerate(csv.reader(lines), start=1)][1:]
    else:
        rows = list(enumerate(lines, start=1))
    return [(n, p.strip()) for n, p in rows if p.strip() and not p.strip().startswith("#")]


def export_text(which: SenderList, mlist: MailingList | None) -> str:
    """One pattern a line: the file import_lines reads back."""
    return "".join(f"{e.pattern}\n" for e in entries(which, mlist))


def export_csv(which: SenderList, mlist: MailingList | None) -> str:
    """pattern,kind,added: one row an entry, with a header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for e in entries(which, mlist):
        writer.writerow([e.pattern, e.kind, e.created_at.isoformat(timespec="seconds")])
    return out.getvalue()
