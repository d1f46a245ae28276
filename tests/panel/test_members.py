"""Members: add, paste with a report, search and keyset pages, CSV import job and CLI, export, edit, remove, ban."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Ban, ImportStatus, Member, MemberImport
from app.panel.roster import PAGE_SIZE


def _emails(list_id: int) -> list[str]:
    return db.session.scalars(
        select(Member.email).where(Member.list_id == list_id).order_by(Member.email)
    ).all()


def test_add_one_and_paste_many_with_a_report(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    browser.submit(
        f"/lists/{a.id}/members",
        {"address": "Dee Example <DEE@Example.NET>"},
        action=f"/lists/{a.id}/members/add",
    )
    pasted = 'Eve <eve@example.net>\n\nnot an address\n# a comment\nann@example.net\n"Fay, F." <fay@example.net>\nx@@y\n'
    response = browser.submit(f"/lists/{a.id}/members/paste", {"lines": pasted})
    body = response.data.decode()
    assert response.status_code == 200
    assert "<strong>2</strong> added, <strong>1</strong> already members, <strong>2</strong> lines" in body
    assert "not an address" in body and "x@@y" in body
    db.session.expire_all()
    assert _emails(a.id) == [
        "ann@example.net",
        "bob@example.net",
        "dee@example.net",
        "eve@example.net",
        "fay@example.net",
    ]
    assert db.session.scalar(select(Member.name).where(Member.email == "fay@example.net")) == "Fay, F."


def test_roster_search_and_keyset_pages(world, browser_for):
    from app.membership.lines import Entry
    from app.membership.members import add_members

    a = world["a"]
    add_members(a.id, [Entry(f"user{i:03d}@example.com", f"User {i}") for i in range(120)])
    db.session.commit()
    browser = browser_for("owner@example.org")
    first = browser.get(f"/lists/{a.id}/members").data.decode()
    assert "1–50 of 122 members" in first and "ann@example.net" in first and "Next →" in first
    seen, after = [], ""
    while True:
        from app.panel.roster import roster_page

        page = roster_page(a.id, after=after)
        seen += [m.email for m in page.members]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == _emails(a.id) and len(page.members) <= PAGE_SIZE
    found = browser.get(f"/lists/{a.id}/members?q=user11").data.decode()
    assert (
        "1–10 of 10 members that match" in found and "user110@example.com" in found and "user001" not in found
    )
    from app.panel import roster as roster_module

    roster_module.COUNT_CAP, saved = 100, roster_module.COUNT_CAP
    try:
        assert "1–50 of 100+ members" in browser.get(f"/lists/{a.id}/members").data.decode()
    finally:
        roster_module.COUNT_CAP = saved
    by_name = browser.get(f"/lists/{a.id}/members?q=User 7").data.decode()
    assert "user007@example.com" in by_name and "user070@example.com" in by_name


def test_csv_import_runs_as_a_job_with_progress_and_a_report(world, browser_for, redis_url, settings):
    from app import create_app
    from tests.support.stack import drain

    a = world["a"]
    data = "email,name\nann@example.net,Ann\nnew1@example.com,New One\nbroken,Nobody\nNEW2@example.com,\n"
    browser = browser_for("owner@example.org")
    # Without MAILFLOW_REDIS_URL the job runs in-process; with it, a real RQ worker runs it (below).
    worker_app = create_app({**settings, "REDIS_URL": redis_url})
    browser.client.application.config["MAILFLOW"] = worker_app.config["MAILFLOW"]
    response = browser.submit(
        f"/lists/{a.id}/members/import",
        {"file": (io.BytesIO(data.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job = db.session.scalar(select(MemberImport))
    assert job.status == ImportStatus.QUEUED and job.filename == "people.csv"
    drain(worker_app)
    db.session.expire_all()
    job = db.session.get(MemberImport, job.id)
    assert (job.status, job.added, job.existing, job.invalid, job.percent) == ("done", 2, 1, 1, 100)
    assert job.report[0]["line"] == 4 and job.report[0]["text"] == "broken"
    page = browser.get(f"/lists/{a.id}/members/import/{job.id}").data.decode()
    assert 'value="100"' in page and "broken" in page
    status = browser.get(f"/lists/{a.id}/members/import/{job.id}?format=json").get_json()
    assert status["percent"] == 100 and status["added"] == 2
    assert "new2@example.com" in _emails(a.id)
    with worker_app.app_context():
        db.engine.dispose()


def test_cli_import_shows_progress_and_reports_bad_lines(world, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("".join(f"p{i}@example.com,Person {i}\n" for i in range(2500)) + "bad line,\n")
    from app.commands.members import members

    result = runner.invoke(members, ["import", "alpha@example.org", str(path)])
    assert result.exit_code == 1
    assert "importing into alpha@example.org" in result.output  # the progress bar's label
    assert "2500 added, 0 already members, 1 invalid" in result.output
    assert "line 2501" in result.output
    assert (
        db.session.scalar(select(func.count()).select_from(Member).where(Member.list_id == world["a"].id))
        == 2502
    )


def test_export_streams_every_member_as_csv(world, browser_for):
    from app.membership.lines import Entry
    from app.membership.members import add_members
    from app.panel import members as members_view

    a = world["a"]
    add_members(
        a.id, [Entry(f"x{i:04d}@example.com", '=HYPERLINK("evil")' if i == 0 else "") for i in range(30)]
    )
    db.session.commit()
    members_view.EXPORT_BATCH, saved = 7, members_view.EXPORT_BATCH  # several batches
    try:
        response = browser_for("owner@example.org").get(f"/lists/{a.id}/members/export.csv")
    finally:
        members_view.EXPORT_BATCH = saved
    assert response.mimetype == "text/csv" and "Content-Length" not in response.headers  # streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "email" and [r[0] for r in rows[1:]] == _emails(a.id)
    assert rows[3][1] == '\'=HYPERLINK("evil")'  # formula injection defused


def test_member_options_remove_and_ban(world, browser_for):
    a = world["a"]
    ann = db.session.scalar(select(Member).where(Member.email == "ann@example.net"))
    bob = db.session.scalar(select(Member).where(Member.email == "bob@example.net"))
    browser = browser_for("owner@example.org")
    page = f"/lists/{a.id}/members/{ann.id}"
    browser.submit(
        page,
        {"name": "Ann A.", "status": "disabled", "disabled_reason": "bounces", "moderation": "hold"},
    )
    db.session.expire_all()
    ann = db.session.get(Member, ann.id)
    assert (ann.name, ann.status, ann.disabled_reason, ann.moderation_action, ann.delivery_enabled) == (
        "Ann A.",
        "disabled",
        "bounces",
        "hold",
        False,
    )
    browser.submit(page, {}, action=f"/lists/{a.id}/members/{bob.id}/ban")
    browser.submit(page, {}, action=f"/lists/{a.id}/members/{ann.id}/remove")
    db.session.expire_all()
    gone = db.session.execute(
        select(Member.email, Member.status, Member.disabled_reason).order_by(Member.email)
    )
    assert [tuple(row) for row in gone if row.email in ("ann@example.net", "bob@example.net")] == [
        ("ann@example.net", "unsubscribed", "by the owner"),  # kept, and the roster says who removed them
        ("bob@example.net", "unsubscribed", "banned by the owner"),
    ]
    assert db.session.scalars(select(Ban.pattern)).all() == ["bob@example.net"]
    roster = f"/lists/{a.id}/members"
    response = browser.submit(
        roster, {"address": "ann@example.net"}, action=f"{roster}/add", follow_redirects=True
    )
    assert "Added ann@example.net." in response.data.decode()  # removed by the owner: back again
    db.session.expire_all()
    assert db.session.get(Member, ann.id).status == "active"


def test_roster_pages_by_number_sorts_and_removes_the_selected(world, browser_for):
    from app.membership.lines import Entry
    from app.membership.members import add_members

    a = world["a"]
    add_members(a.id, [Entry(f"user{i:03d}@example.com", f"User {i}") for i in range(289)])
    add_members(a.id, [Entry("jurgen@example.de", "Jürgen Müller")])
    db.session.commit()
    browser = browser_for("owner@example.org")
    second = browser.get(f"/lists/{a.id}/members?page=2").data.decode()
    assert "51–100 of 292 members" in second
    assert re.search(r'<a aria-current="page" href="[^"]*page=2[^"]*">2</a>', second)
    assert "page=6" in second and "Joined" in second
    by_name = browser.get(f"/lists/{a.id}/members?sort=-name").data.decode()
    assert by_name.index("User 99") < by_name.index("User 98") and 'aria-sort="descending"' in by_name
    found = browser.get(f"/lists/{a.id}/members?q=Muller").data.decode()
    assert "jurgen@example.de" in found and "1–1 of 1 member" in found  # no accent typed, still found
    ids = db.session.scalars(
        select(Member.id).where(Member.email.in_(["ann@example.net", "bob@example.net"]))
    ).all()
    response = browser.submit(
        f"/lists/{a.id}/members", {"member_id": [str(i) for i in ids]}, action=f"/lists/{a.id}/members/remove"
    )
    assert response.status_code == 302
    db.session.expire_all()
    statuses = db.session.scalars(select(Member.status).where(Member.id.in_(ids))).all()
    assert statuses == ["unsubscribed", "unsubscribed"]


def test_roster_sets_the_delivery_of_the_selected_at_once(world, browser_for):
    a, b = world["a"], world["b"]
    browser = browser_for("owner@example.org")
    ids = db.session.scalars(select(Member.id).where(Member.list_id == a.id)).all()
    other = db.session.scalar(select(Member.id).where(Member.list_id == b.id))
    response = browser.submit(
        f"/lists/{a.id}/members",
        {"member_id": [str(i) for i in [*ids, other]], "delivery": "plain_digest"},
        action=f"/lists/{a.id}/members/delivery",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert set(db.session.scalars(select(Member.delivery_mode).where(Member.id.in_(ids)))) == {"plain_digest"}
    assert db.session.get(Member, other).delivery_mode == "regular"  # another list's member is untouched
    browser.submit(
        f"/lists/{a.id}/members",
        {"member_id": [str(i) for i in ids], "delivery": "weekly"},
        action=f"/lists/{a.id}/members/delivery",
    )
    page = browser.get(f"/lists/{a.id}/members").data.decode()
    assert "Nothing changed: delivery" in page and "plain digest" in page


def test_paste_can_invite_instead_of_adding(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    response = browser.submit(
        f"/lists/{a.id}/members/paste", {"lines": "gil@example.net\n", "mode": "invite"}
    )
    assert "<strong>1</strong> invited" in response.data.decode()
    db.session.expire_all()
    member = db.session.scalar(select(Member).where(Member.email == "gil@example.net"))
    assert (member.status, member.pending) == ("pending", "invite")
