"""archive_months: the month index's counts stay right through archiving, removal, import and rebuild."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import update

from app.archive.importer import import_mbox
from app.archive.mbox import entry
from app.archive.months import months
from app.archive.rebuild import rebuild
from app.archive.removal import remove_message
from app.extensions import db
from app.models import ArchiveMonth
from tests.archive.support import mail, put
from tests.support.factories import make_list

MARCH = "Tue, 03 Mar 2026 10:00:00 +0000"
APRIL = "Wed, 01 Apr 2026 09:00:00 +0000"


def test_counts_follow_archiving_and_removal(app):
    mlist = make_list("team@example.org", "Team")
    put(mlist, mail("one", "x\n", "a@example.org", date=MARCH))
    put(mlist, mail("two", "x\n", "b@example.org", date=MARCH))
    april = put(mlist, mail("three", "x\n", "c@example.org", date=APRIL))
    other = make_list("other@example.org", "Other")
    put(other, mail("elsewhere", "x\n", "d@example.org", date=MARCH))
    assert months(mlist.id) == [("2026-04", 1), ("2026-03", 2)]
    remove_message(april, "owner@example.org", None, "mistake")
    assert months(mlist.id) == [("2026-03", 2)]  # a month whose messages were all removed is not listed
    assert remove_message(april, "owner@example.org", None, "again") is False
    assert months(mlist.id) == [("2026-03", 2)] and months(other.id) == [("2026-03", 1)]


def test_rebuild_recounts_and_keeps_removals_out(app):
    mlist = make_list("team@example.org", "Team")
    put(mlist, mail("one", "x\n", "a@example.org", date=MARCH))
    gone = put(mlist, mail("two", "x\n", "b@example.org", date=APRIL))
    remove_message(gone, "owner@example.org", None, "")
    db.session.execute(update(ArchiveMonth).values(messages=7))  # a count gone wrong
    db.session.commit()
    rebuild(mlist)
    assert months(mlist.id) == [("2026-03", 1)]
    rebuild(mlist)
    assert months(mlist.id) == [("2026-03", 1)]


def test_import_counts_each_month_once_and_reimport_changes_nothing(app):
    mlist = make_list("team@example.org", "Team")
    put(mlist, mail("already", "x\n", "a@example.org", date=MARCH))
    data = b"".join(
        entry("x@example.org", datetime(2026, 3 + n % 2, 5, tzinfo=UTC), mail(f"n{n}", "x\n", f"i{n}@example.org",
              date=(MARCH, APRIL)[n % 2]))
        for n in range(5)
    )  # fmt: skip
    data += entry(
        "x@example.org", datetime(2026, 3, 1, tzinfo=UTC), mail("dup", "x\n", "a@example.org", date=MARCH)
    )
    report = import_mbox(mlist, io.BytesIO(data))
    assert report.imported == 5 and report.duplicates == 1
    assert months(mlist.id) == [("2026-04", 2), ("2026-03", 4)]
    assert import_mbox(mlist, io.BytesIO(data)).imported == 0
    assert months(mlist.id) == [("2026-04", 2), ("2026-03", 4)]
