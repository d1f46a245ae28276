"""Issue 12 item 2: entries made from a message or a member are exact addresses, never patterns."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Ban, Member, PatternKind, Post, PostStatus
from tests.panel.conftest import held_post
from tests.support.db import truncate_all
from tests.support.factories import make_members, message
from tests.support.stack import drain, receiver


@pytest.fixture
def app(settings, redis_url, sink):  # the panel app with real Redis and the SMTP sink as egress
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def post_through_receiver(app, port: int, sender: str, subject: str) -> Post:
    with receiver(app, port), smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(
            "someone@example.net", ["alpha@example.org"], message(sender, "alpha@example.org", subject)
        )
    drain(app)
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.subject == subject))


def test_ban_sender_on_a_regex_looking_address_bans_only_that_address(app, world, browser_for, smtpd_port):
    bait = post_through_receiver(app, smtpd_port, "^.*@*", "bait")
    assert bait.status == PostStatus.HELD  # a nonmember
    browser_for("owner@example.org").submit(f"/moderation/{bait.id}", {"action": "ban"})
    assert db.session.execute(select(Ban.pattern, Ban.kind)).all() == [("^.*@*", PatternKind.ADDRESS)]
    later = post_through_receiver(app, smtpd_port, "ann@example.net", "a member's post")
    assert later.status == PostStatus.DISTRIBUTED, later.decision_reason


def test_always_allow_on_a_regex_looking_address_allows_only_that_address(
    app, world, browser_for, smtpd_port
):
    bait = post_through_receiver(app, smtpd_port, "^|@x.org", "bait")
    assert bait.status == PostStatus.HELD
    browser_for("owner@example.org").submit(f"/moderation/{bait.id}", {"action": "approve_allow"})
    stranger = post_through_receiver(app, smtpd_port, "stranger@example.com", "a stranger's post")
    assert stranger.status == PostStatus.HELD, stranger.decision_reason
    again = post_through_receiver(app, smtpd_port, "^|@x.org", "the allowed address again")
    assert again.status == PostStatus.DISTRIBUTED, again.decision_reason


def test_owner_banning_a_regex_looking_member_bans_only_that_address(app, world, browser_for, smtpd_port):
    make_members(world["a"], "^.*@example.net")
    victim = db.session.scalar(select(Member).where(Member.email == "^.*@example.net"))
    browser = browser_for("owner@example.org")
    page = f"/lists/{world['a'].id}/members/{victim.id}"
    response = browser.submit(page, action=f"{page}/ban")
    assert response.status_code == 302
    assert db.session.execute(select(Ban.pattern, Ban.kind)).all() == [
        ("^.*@example.net", PatternKind.ADDRESS)
    ]
    later = post_through_receiver(app, smtpd_port, "ann@example.net", "ann still posts")
    assert later.status == PostStatus.DISTRIBUTED, later.decision_reason


def test_held_post_fixture_still_bans_plain_addresses(world, browser_for):
    post = held_post(world["a"], sender="three@example.com")
    browser_for("owner@example.org").submit(f"/moderation/{post.id}", {"action": "ban"})
    assert db.session.execute(select(Ban.pattern, Ban.kind)).all() == [("three@example.com", "address")]


def mailflow(app, *args: str):
    """The real `mailflow` command group, run against this test's app."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.cli import cli
    from app.commands import register

    register(cli)
    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_a_typed_pattern_is_validated_and_previewed_before_it_is_saved(app, smtpd_port):
    from tests.support.factories import make_list

    mlist = make_list("alpha@example.org", "Alpha")
    make_members(mlist, "ann@example.net", "bob@example.net", "cyd@example.com")
    post_through_receiver(app, smtpd_port, "spammer@example.net", "recent")
    bad = mailflow(app, "bans", "add", "alpha@example.org", "^(unclosed")
    assert bad.exit_code == 2 and "does not compile" in bad.output
    dry = mailflow(app, "bans", "add", "alpha@example.org", r"^.*@example\.net$", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "matches 2 member(s) and 2 sender(s)"  # author and envelope sender in dry.output
    assert db.session.scalars(select(Ban)).all() == []
    done = mailflow(app, "bans", "add", "alpha@example.org", r"^.*@example\.net$")
    assert "banned (regex)" in done.output
    listed = mailflow(app, "bans", "list", "alpha@example.org").output
    assert listed == "regex\t^.*@example\\.net$\n"
    later = post_through_receiver(app, smtpd_port, "bob@example.net", "bob is banned now")
    assert later.status == PostStatus.DISCARDED


def test_the_panel_saves_a_typed_pattern_only_after_showing_its_preview(app, world, browser_for):
    page = f"/lists/{world['a'].id}/senders"
    browser = browser_for("owner@example.org")
    bad = browser.submit(page, {"which": "banned", "pattern": "^(unclosed", "check": "Preview"})
    assert bad.status_code == 400 and b"does not compile" in bad.data
    pattern = r"^.*@example\.net$"
    blind = browser.submit(
        page, {"which": "banned", "pattern": pattern, "save": "Save"}
    )  # no preview seen yet
    assert blind.status_code == 200 and b"matches 2 member(s)" in blind.data
    assert db.session.scalars(select(Ban)).all() == []
    done = browser.submit(page, {"which": "banned", "pattern": pattern, "previewed": pattern, "save": "Save"})
    assert done.status_code == 302
    assert db.session.execute(select(Ban.pattern, Ban.kind)).all() == [(pattern, PatternKind.REGEX)]
    assert browser_for("mod@example.org").get(page).status_code == 200  # moderators ban from the queue too
