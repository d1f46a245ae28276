"""export.mbox (mboxrd, by Date month, streamed) and `mailflow archive import|rebuild` (re-running changes nothing)."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from app.archive.mbox import entry, read_entries
from app.cli import cli
from app.commands import register
from app.extensions import db
from app.models import ArchivedMessage
from tests.archive.support import mail, put
from tests.support.factories import make_list

register(cli)
BASE = "/archive/team@example.org"
QUOTED_BODY = "Intro\nFrom the start\n>From quoted once\n>>From twice\nnot From here\n"


@pytest.fixture
def mailflow(app):
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


def _rows(list_id: int) -> list[ArchivedMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ArchivedMessage).where(ArchivedMessage.list_id == list_id).order_by(ArchivedMessage.date)
        )
    )


def test_mboxrd_quoting_round_trips():
    raw = mail(body=QUOTED_BODY)
    data = entry(
        "alice@example.org",
        __import__("datetime").datetime(2026, 3, 3, tzinfo=__import__("datetime").UTC),
        raw,
    )
    assert data.startswith(b"From alice@example.org Tue Mar 03 00:00:00 2026\n")
    assert b"\n>From the start\n>>From quoted once\n>>>From twice\nnot From here\n" in data
    [back] = list(read_entries(io.BytesIO(data + data)))[:1]
    assert back.raw == raw


def test_export_whole_and_by_month_of_the_date_header(client, app):
    mlist = make_list("team@example.org", "Team", archive_policy="public")
    put(
        mlist, mail("March", QUOTED_BODY, "m@example.org", date="Tue, 31 Mar 2026 23:30:00 -0300")
    )  # April in UTC
    put(mlist, mail("May", "may\n", "y@example.org", date="Fri, 01 May 2026 08:00:00 +0000"))
    whole = client.get(f"{BASE}/export.mbox")
    assert whole.status_code == 200 and whole.mimetype == "application/mbox" and whole.is_streamed
    assert "attachment" in whole.headers["Content-Disposition"]
    assert whole.data.count(b"\nFrom ") + whole.data.startswith(b"From ") == 2
    assert b">>From quoted once" in whole.data
    april = client.get(f"{BASE}/export.mbox?month=2026-04").data
    assert b"Subject: March" in april and b"Subject: May" not in april
    assert client.get(f"{BASE}/export.mbox?month=2026-03").data == b""
    assert client.get(f"{BASE}/export.mbox?month=../../x").status_code == 400


def test_import_then_rebuild_twice_changes_nothing(mailflow, client, app, tmp_path):
    source = make_list("old@example.org", "Old", archive_policy="public")
    source_id = source.id
    put(source, mail("Start", QUOTED_BODY, "s@example.org", date="Mon, 02 Feb 2009 10:00:00 +0000"))
    put(
        source,
        mail(
            "Re: Start",
            "reply\n",
            "r@example.org",
            date="Tue, 03 Feb 2009 10:00:00 +0000",
            reply_to="s@example.org",
        ),
    )
    exported = client.get("/archive/old@example.org/export.mbox").data
    no_id = b"From nobody Mon Mar  2 10:00:00 2009\nFrom: x@example.org\nSubject: no id, no date\n\nbody\n\n"
    broken = (
        b"From nobody Mon Mar  2 10:00:00 2009\n\n\nFrom nobody Mon Mar  2 10:00:00 2009\nnot a header\n\n"
    )
    path = tmp_path / "old.mbox"
    path.write_bytes(b"junk before the first separator\n" + exported + no_id + broken)
    target_id = make_list("team@example.org", "Team", archive_policy="public").id
    first = mailflow("archive", "import", "team@example.org", str(path))
    assert first.exit_code == 0, first.output
    assert "imported 3, skipped 0 already archived, 2 unreadable" in first.output
    assert "message 4: skipped, empty message" in first.output
    assert "message 5: skipped, no header fields" in first.output
    rows = _rows(target_id)
    assert [r.subject for r in rows] == ["Start", "Re: Start", "no id, no date"]
    assert (
        rows[0].date.year == 2009 and rows[0].month == "2009-02" and rows[2].month == "2009-03"
    )  # From_ line date
    assert rows[1].parent_id == rows[0].id and rows[1].thread_id == rows[0].id
    assert rows[0].raw == _rows(source_id)[0].raw  # mboxrd quoting undone exactly
    again = mailflow("archive", "import", "team@example.org", str(path))
    assert "imported 0, skipped 3 already archived" in again.output and len(_rows(target_id)) == 3
    keys = [(r.key, r.thread_id, r.subject) for r in _rows(target_id)]
    rebuilt = mailflow("archive", "rebuild", "team@example.org")
    assert (
        rebuilt.exit_code == 0
        and "3 messages, 0 changed" in rebuilt.output
        and "0 thread links changed" in rebuilt.output
    )
    assert [(r.key, r.thread_id, r.subject) for r in _rows(target_id)] == keys
    assert mailflow("archive", "import", "nope@example.org", str(path)).exit_code == 2


def test_rebuild_recomputes_what_was_lost(mailflow, app):
    mlist = make_list("team@example.org", "Team")
    row = put(mlist, mail("Kept subject", "words\n", "k@example.org"))
    row.subject, row.body_text, row.thread_id = "", "", None
    db.session.commit()
    result = mailflow("archive", "rebuild", "team@example.org")
    assert "1 messages, 1 changed" in result.output
    [fixed] = _rows(mlist.id)
    assert (
        fixed.subject == "Kept subject"
        and fixed.body_text.startswith("words")
        and fixed.thread_id == fixed.id
    )


def test_a_message_the_database_refuses_is_reported_and_its_batch_kept(app, tmp_path, monkeypatch):
    import app.archive.prepare as prepare  # the worker process is forked: it sees the patched function
    from app.archive.importer import import_mbox

    mlist = make_list("team@example.org", "Team")
    data = b"".join(
        entry("a@example.org", __import__("datetime").datetime(2026, 1, n + 1, tzinfo=__import__("datetime").UTC),
              mail(f"n{n}", "x\n", f"b{n}@example.org"))
        for n in range(5)
    )  # fmt: skip
    original = prepare.derived

    def poisoned(raw, summary, date):  # the third message gets a value no column takes
        values = original(raw, summary, date)
        if summary.message_id == "b2@example.org":
            values["month"] = None
        return values

    monkeypatch.setattr(prepare, "derived", poisoned)
    report = import_mbox(mlist, io.BytesIO(data))
    assert report.imported == 4 and [number for number, _ in report.bad] == [3]
    assert sorted(r.message_id for r in _rows(mlist.id)) == [f"b{n}@example.org" for n in (0, 1, 3, 4)]
    assert sorted(r.key for r in _rows(mlist.id)) == [f"b{n}@example.org" for n in (0, 1, 3, 4)]


def test_import_links_threads_as_a_rebuild_would_and_indexes_for_search(app, client):
    from datetime import UTC, datetime

    from app.archive.importer import import_mbox
    from app.archive.threads import rethread

    mlist = make_list("team@example.org", "Team", archive_policy="public")
    old = put(mlist, mail("Plans", "old words\n", "p0@example.org", date="Sun, 01 Mar 2026 10:00:00 +0000"))
    messages = [  # a reply to the archive, a reply before its parent, replies by subject alone
        mail("Re: Plans", "agreed\n", "p1@example.org", date="Mon, 02 Mar 2026 10:00:00 +0000", reply_to="p0@example.org"),
        mail("Re: Kayak", "early\n", "k1@example.org", date="Thu, 05 Mar 2026 10:00:00 +0000", reply_to="k0@example.org"),
        mail("Kayak", "paddle quokka\n", "k0@example.org", date="Wed, 04 Mar 2026 10:00:00 +0000"),
        mail("Re: Kayak", "by subject\n", "k2@example.org", date="Fri, 06 Mar 2026 10:00:00 +0000"),
        mail("Re: Plans", "late\n", "p2@example.org", date="Sat, 07 Mar 2026 10:00:00 +0000"),
    ]  # fmt: skip
    data = b"".join(entry("a@example.org", datetime(2026, 3, 9, tzinfo=UTC), raw) for raw in messages)
    report = import_mbox(mlist, io.BytesIO(data))
    assert report.imported == 5 and not report.bad
    links = {r.message_id: (r.parent_id, r.thread_id) for r in _rows(mlist.id)}
    assert rethread(mlist.id) == 0 and links == {
        r.message_id: (r.parent_id, r.thread_id) for r in _rows(mlist.id)
    }
    ids = {r.message_id: r.id for r in _rows(mlist.id)}
    assert links["p1@example.org"] == (old.id, old.id) and links["p2@example.org"] == (
        ids["p1@example.org"],
        old.id,
    )
    assert links["k1@example.org"] == (ids["k0@example.org"], ids["k0@example.org"])  # fixed by rethread
    assert links["k2@example.org"][1] == ids["k0@example.org"]
    found = client.get(f"{BASE}/search?q=quokka").get_data(as_text=True)
    assert "<mark>quokka</mark>" in found
    put(mlist, mail("Later", "quokka again\n", "l@example.org"))  # the per-row index is back after an import
    assert client.get(f"{BASE}/search?q=quokka").get_data(as_text=True).count("<mark>quokka</mark>") == 2
