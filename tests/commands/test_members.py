"""`mailflow members list|set|remove` through the console script, on the same service as the panel."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.membership.members import member_settings
from app.models import AuditEntry, Member
from tests.support.factories import make_list, make_members


def _member(email: str) -> Member:
    return db.session.scalar(select(Member).where(Member.email == email))


def test_list_prints_members_one_a_line_and_filters_by_status(console):
    mlist = make_list("team@example.org")
    make_members(mlist, "bob@example.net", "ann@example.net")
    _member("bob@example.net").status, _member("ann@example.net").name = "disabled", "Ann Example"
    result = console("members", "list", "team@example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ann@example.net active Ann Example", "bob@example.net disabled"]
    disabled = console("members", "list", "team@example.org", "--status", "disabled")
    assert disabled.stdout.splitlines() == ["bob@example.net disabled"]
    assert console("members", "list", "team@example.org", "--status", "asleep").returncode == 2


def test_set_changes_name_and_moderation_and_refuses_bad_keys_and_values(console):
    mlist = make_list("team@example.org")
    make_members(mlist, "ann@example.net")
    result = console(
        "members", "set", "team@example.org", "ANN@example.net", "name=Ann  A.", "moderation=hold"
    )
    assert result.returncode == 0, result.stderr
    ann = _member("ann@example.net")
    assert (ann.name, ann.moderation_action) == ("Ann A.", "hold")
    assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "member.update")) == "cli"
    before = member_settings(ann)
    for bad, says in (
        ("moderation=sometimes", "moderation: one of default|accept|hold|reject|discard"),
        ("delivery=sometimes", "delivery: one of regular|mime_digest|plain_digest|nomail"),
        ("vacation_until=2030-13-01", "vacation_until: a date as YYYY-MM-DD"),
        ("colour=blue", "colour: unknown key"),
    ):
        refused = console("members", "set", "team@example.org", "ann@example.net", "name=Changed", bad)
        assert refused.returncode == 2 and says in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1
        assert member_settings(_member("ann@example.net")) == before
    assert (
        console("members", "set", "team@example.org", "ann@example.net", "moderation=default").returncode == 0
    )
    assert member_settings(_member("ann@example.net"))["moderation"] == "default"
    modes = console(
        "members",
        "set",
        "team@example.org",
        "ann@example.net",
        "delivery=plain_digest",
        "vacation_until=2030-01-31",
    )
    assert modes.returncode == 0, modes.stderr
    shown = member_settings(_member("ann@example.net"))
    assert (shown["delivery"], shown["vacation_until"]) == ("plain_digest", "2030-01-31")
    assert console("members", "set", "team@example.org", "ann@example.net", "vacation_until=").returncode == 0
    assert member_settings(_member("ann@example.net"))["vacation_until"] == ""
    stranger = console("members", "set", "team@example.org", "cyd@example.net", "name=Cyd")
    assert stranger.returncode == 2 and "not a member" in stranger.stderr


def test_remove_unsubscribes_members_and_reports_strangers(console):
    mlist = make_list("team@example.org")
    make_members(mlist, "ann@example.net", "bob@example.net", "cyd@example.net")
    result = console(
        "members", "remove", "team@example.org", "ann@example.net", "BOB@example.net", "zed@example.net"
    )
    assert result.returncode == 1
    assert "2 removed, 1 not members" in result.stdout and "not a member: zed@example.net" in result.stderr
    db.session.expire_all()
    rows = db.session.execute(
        select(Member.email, Member.status, Member.disabled_reason).order_by(Member.email)
    )
    assert [
        tuple(row) for row in rows
    ] == [  # removed by the owner: unsubscribed, kept with the reason (issue 19)
        ("ann@example.net", "unsubscribed", "by the owner"),
        ("bob@example.net", "unsubscribed", "by the owner"),
        ("cyd@example.net", "active", ""),
    ]
