"""`mailflow import mailman3` against a real Mailman 3 core (REST 3.1), started by the test."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AllowedSender, Ban, FilterRule, ListRole, MailingList, Member, Post, User
from tests.migration.test_mailman2_import import MBOX
from tests.support.console import mailflow_process
from tests.support.mailman3 import PASSWORD, USER, FailingProxy, Mailman3
from tests.test_entry_points import env_for

ROOT = Path(__file__).parents[2]
HELD = (
    "From: Stranger <stranger@example.net>\nTo: team@example.org\nSubject: Hello from outside\n"
    "Message-ID: <held-1@example.net>\n\nA post from a nonmember.\n"
)


def subscribe(mm: Mailman3, list_id: str, email: str, role: str = "member", **extra) -> str:
    data = {
        "list_id": list_id,
        "subscriber": email,
        "role": role,
        "pre_verified": True,
        "pre_confirmed": True,
        "pre_approved": True,
        **extra,
    }
    mm.post("members", data)
    roster = mm.get(f"lists/{list_id}/roster/{role}")["entries"]
    return next(e["member_id"] for e in roster if e["email"] == email)


@pytest.fixture(scope="module")
def mailman3():
    """One Mailman 3 core with two lists: team@ (everything that maps) and small@ (one member)."""
    mm = Mailman3()
    mm.start()
    try:
        mm.post("domains", {"mail_host": "example.org"})
        mm.post("lists", {"fqdn_listname": "team@example.org"})
        mm.post("lists", {"fqdn_listname": "small@example.org"})
        team = "team.example.org"
        mm.patch(
            f"lists/{team}/config",
            {
                "display_name": "The Team",
                "subject_prefix": "[team] ",
                "default_nonmember_action": "hold",
                "reply_goes_to_list": "point_to_list",
                "max_message_size": 100,
                "info": "All about the team.",
                "accept_these_nonmembers": ["friend@example.net"],
                "discard_these_nonmembers": ["^.*@junk\\.example$"],
            },
        )
        subscribe(mm, team, "ann@example.net", display_name="Ann Example")
        bob = subscribe(mm, team, "bob@example.net")
        mm.patch(f"members/{bob}", {"moderation_action": "hold"})
        carol = subscribe(mm, team, "carol@example.net")
        mm.patch(f"members/{carol}/preferences", {"delivery_status": "by_bounces"})
        dave = subscribe(mm, team, "dave@example.net")
        mm.patch(f"members/{dave}/preferences", {"delivery_status": "by_user"})
        subscribe(mm, team, "digest@example.net", delivery_mode="mime_digests")
        subscribe(mm, team, "owner@example.net", role="owner")
        subscribe(mm, team, "mod@example.net", role="moderator")
        mm.post(f"lists/{team}/bans", {"email": "banned@example.net"})
        mm.post(
            f"lists/{team}/header-matches", {"header": "x-spam-flag", "pattern": "yes", "action": "discard"}
        )
        mm.patch(f"lists/{team}/config", {"subscription_policy": "moderate"})
        mm.post(
            "members",
            {
                "list_id": team,
                "subscriber": "waiting@example.net",
                "pre_verified": True,
                "pre_confirmed": True,
            },
        )
        (mm.dir / "held.eml").write_text(HELD)
        mm.command("inject", "-f", str(mm.dir / "held.eml"), "team@example.org")
        deadline = time.monotonic() + 60
        while not mm.get(f"lists/{team}/held").get("total_size"):
            assert time.monotonic() < deadline, "Mailman 3 did not hold the injected post"
            time.sleep(0.5)
        subscribe(mm, "small.example.org", "solo@example.net")
        yield mm
    finally:
        mm.stop()


def run_import(
    settings: dict, url: str, *lists: str, password: str = PASSWORD
) -> subprocess.CompletedProcess:
    args = ["import", "mailman3", "--url", url, "--user", USER, "--password", password, *lists]
    return mailflow_process(args, env_for(settings), cwd=ROOT, timeout=300)


def the_list(address: str) -> MailingList | None:
    local, _, domain = address.partition("@")
    db.session.expire_all()
    return db.session.scalar(select(MailingList).filter_by(local_part=local, domain=domain))


def table_counts() -> tuple[int, ...]:
    tables = (MailingList, Member, User, ListRole, Ban, AllowedSender, FilterRule, Post)
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in tables)


def test_every_list_comes_over_with_members_staff_senders_and_held_posts(app, settings, mailman3):
    done = run_import(settings, mailman3.url)
    assert done.returncode == 0, done.stderr
    assert "2 of 2 lists imported" in done.stdout and PASSWORD not in done.stdout + done.stderr
    mlist = the_list("team@example.org")
    assert (mlist.display_name, mlist.subject_prefix, mlist.reply_to_mode) == ("The Team", "[team]", "list")
    assert (mlist.subscription_policy, mlist.max_message_size) == ("moderate", 100 * 1024)
    assert mlist.description == "All about the team." and mlist.archive_policy == "public"
    members = {m.email: m for m in db.session.scalars(select(Member).where(Member.list_id == mlist.id))}
    assert members["ann@example.net"].name == "Ann Example"
    assert members["bob@example.net"].moderation_action == "hold"
    assert (members["carol@example.net"].status, members["carol@example.net"].disabled_reason) == (
        "disabled",
        "bounces",
    )
    assert members["dave@example.net"].delivery_enabled is False
    assert (members["waiting@example.net"].status, members["waiting@example.net"].pending) == (
        "pending",
        "approval",
    )
    assert "1 digest members were imported as regular members" in done.stdout
    roles = set(db.session.execute(select(User.email, ListRole.role).join(ListRole.user)).all())
    assert roles == {("owner@example.net", "owner"), ("mod@example.net", "moderator")}
    assert db.session.scalar(select(Ban.pattern)) == "banned@example.net"
    assert db.session.scalar(select(AllowedSender.pattern)) == "friend@example.net"
    rules = {(r.condition, r.header, r.pattern, r.action) for r in db.session.scalars(select(FilterRule))}
    assert rules == {
        ("sender", "", "^.*@junk\\.example$", "discard"),
        ("header", "x-spam-flag", "yes", "discard"),
    }
    held = db.session.scalar(select(Post).where(Post.list_id == mlist.id))
    assert (held.status, held.subject, held.sender) == ("held", "Hello from outside", "stranger@example.net")
    assert b"A post from a nonmember." in held.raw and held.hold_reasons[0].startswith("Held in Mailman 3:")
    small = the_list("small@example.org")
    assert [m.email for m in db.session.scalars(select(Member).where(Member.list_id == small.id))] == [
        "solo@example.net"
    ]
    before = table_counts()
    again = run_import(settings, mailman3.url)
    assert again.returncode == 0, again.stderr
    assert "0 members added" in again.stdout and table_counts() == before


def test_one_named_list_only_with_its_hyperkitty_archive(app, settings, mailman3, tmp_path):
    mbox = tmp_path / "small.mbox"
    mbox.write_bytes(MBOX)
    done = run_import(settings, mailman3.url, "small@example.org", "--archive", str(mbox))
    assert done.returncode == 0, done.stderr
    assert the_list("small@example.org") is not None and the_list("team@example.org") is None
    assert "imported 2, skipped 0 already archived" in done.stdout
    refused = run_import(settings, mailman3.url, "--archive", str(mbox))  # all lists: which one is it for?
    assert refused.returncode == 1 and "exactly one LIST" in refused.stderr


def test_a_500_half_way_leaves_that_list_out_entirely(app, settings, mailman3):
    proxy = FailingProxy(mailman3.url, fail_on="team.example.org/roster/moderator")
    try:
        done = run_import(settings, proxy.url)
    finally:
        proxy.stop()
    assert done.returncode == 1
    assert "team@example.org: Mailman 3 answered 500" in done.stderr
    assert the_list("team@example.org") is None
    assert (
        db.session.scalar(select(func.count()).select_from(Member).where(Member.email == "ann@example.net"))
        == 0
    )
    assert the_list("small@example.org") is not None  # the other list is whole


def test_mailman_down_or_wrong_password_is_one_line_and_nothing_written(app, settings, mailman3):
    before = table_counts()
    down = run_import(settings, "http://127.0.0.1:9/3.1/")
    assert down.returncode == 1 and down.stderr.strip().splitlines() == [
        "mailflow import: cannot reach Mailman 3 at http://127.0.0.1:9/3.1/: [Errno 111] Connection refused"
    ]
    refused = run_import(settings, mailman3.url, password="wrong")
    assert refused.returncode == 1 and "refused the user name or password (401)" in refused.stderr
    assert "wrong" not in refused.stderr and table_counts() == before


def test_an_unknown_list_name_is_refused(app, settings, mailman3):
    done = run_import(settings, mailman3.url, "nope@example.org")
    assert done.returncode == 1 and "Mailman 3 has no list nope@example.org" in done.stderr
