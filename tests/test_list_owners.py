"""Lists know who runs them: `lists create --owner`, and a warning (log, panel) when no one hears of a held post."""

from __future__ import annotations

import logging

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from app.cli import cli
from app.commands import register
from app.extensions import db
from app.models import ListRole, MailingList, Post, PostStatus, Role, User
from app.pipeline.dispositions import notify_moderators
from tests.panel.conftest import Browser, quick_user
from tests.support.factories import make_list, message

register(cli)


def _mailflow(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_lists_create_with_owners(app):
    quick_user("ann@example.org")
    quick_user("bob@example.org")
    result = _mailflow(
        app, "lists", "create", "team@example.org", "--owner", "Ann@Example.org", "--owner", "bob@example.org"
    )
    assert result.exit_code == 0, result.output
    assert "owned by ann@example.org, bob@example.org" in result.output
    mlist = db.session.scalar(select(MailingList))
    owners = db.session.scalars(
        select(User.email).join(ListRole).where(ListRole.list_id == mlist.id, ListRole.role == Role.OWNER)
    )
    assert sorted(owners) == ["ann@example.org", "bob@example.org"]


def test_an_unknown_owner_creates_nothing_and_says_what_to_do(app):
    result = _mailflow(app, "lists", "create", "team@example.org", "--owner", "ghost@example.org")
    assert result.exit_code == 2
    assert "mailflow users create ghost@example.org" in result.output
    assert db.session.scalar(select(MailingList)) is None


def test_without_owner_the_cli_says_no_one_hears_of_held_posts(app):
    result = _mailflow(app, "lists", "create", "team@example.org")
    assert result.exit_code == 0 and "has no owner" in result.output


def _held(mlist) -> Post:
    post = Post(
        list_id=mlist.id,
        raw=message(sender="stranger@example.com"),
        sha256="h1",
        status=PostStatus.HELD,
        sender="stranger@example.com",
        hold_reasons=["The sender is not a member of the list."],
    )
    db.session.add(post)
    db.session.commit()
    return post


def test_a_held_post_on_a_list_with_no_one_to_tell_is_logged_and_shown(app, caplog):
    mlist = make_list("team@example.org")
    post = _held(mlist)
    with caplog.at_level(logging.WARNING, logger="app.sysmail.staff_notices"):
        assert notify_moderators(post) == 0
    assert "on team@example.org waits and the list has no owner or moderator to tell" in caplog.text
    assert f"/moderation/{post.id}" in caplog.text
    quick_user("admin@example.org", admin=True)
    browser = Browser(app.test_client())
    browser.login("admin@example.org")
    page = browser.get(f"/lists/{mlist.id}/moderation").data.decode()
    assert "No one is told about posts held on this list" in page
    quick_user("mod@example.org", roles={mlist: Role.MODERATOR})
    assert "No one is told" not in browser.get(f"/lists/{mlist.id}/moderation").data.decode()
