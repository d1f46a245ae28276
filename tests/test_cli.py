"""The mailflow CLI: users, lists, members, and the schema on a fresh database."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from app import create_app
from app.cli import cli
from app.commands import register
from app.extensions import db
from app.models import MailingList, Member, NoticePreference, User
from tests.support.factories import make_list, make_user

register(cli)


@pytest.fixture
def mailflow(app):
    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, list(args), input=stdin, obj=ScriptInfo(create_app=lambda: app))

    return invoke


def test_users_create_admin_with_password_on_stdin(mailflow):
    result = mailflow(
        "users", "create", "Admin@Example.org", "--admin", "--password-stdin", stdin="long enough password\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "admin@example.org" and user.is_admin
    assert user.check_password("long enough password")
    assert "long enough password" not in result.output and "long enough" not in user.password_hash


def test_users_create_refuses_short_password_and_bad_email(mailflow):
    assert mailflow("users", "create", "a@example.org", "--password-stdin", stdin="short\n").exit_code == 2
    assert (
        mailflow("users", "create", "not-an-email", "--password-stdin", stdin="long enough pw\n").exit_code
        == 2
    )
    assert db.session.scalar(select(User)) is None


def test_lists_create(mailflow):
    result = mailflow("lists", "create", "Team@Example.ORG", "--name", "The Team")
    assert result.exit_code == 0, result.output
    mlist = db.session.scalar(select(MailingList))
    assert (mlist.address, mlist.display_name) == ("team@example.org", "The Team")
    again = mailflow("lists", "create", "team@example.org")
    assert again.exit_code == 2 and "already exists" in again.output


def test_lists_create_refuses_role_addresses(mailflow):
    assert mailflow("lists", "create", "team-request@example.org").exit_code == 2
    assert mailflow("lists", "create", "team+x@example.org").exit_code == 2


def test_members_add_normalises_reports_invalid_and_keeps_going(mailflow):
    make_list("team@example.org")
    result = mailflow(
        "members",
        "add",
        "team@example.org",
        "Ann@Example.NET",
        "bad address",
        "bob@example.net",
        "@nowhere",
        "ann@example.net",
    )
    assert result.exit_code == 1
    assert "2 added, 0 already members, 2 invalid" in result.output
    assert "invalid address 'bad address'" in result.output and "invalid address '@nowhere'" in result.output
    emails = sorted(db.session.scalars(select(Member.email)))
    assert emails == ["ann@example.net", "bob@example.net"]


def test_members_add_existing_member_is_not_an_error(mailflow):
    make_list("team@example.org")
    mailflow("members", "add", "team@example.org", "ann@example.net")
    result = mailflow("members", "add", "team@example.org", "ANN@example.net", "cyd@example.net")
    assert result.exit_code == 0
    assert "1 added, 1 already members, 0 invalid" in result.output


def test_members_add_to_unknown_list(mailflow):
    result = mailflow("members", "add", "nope@example.org", "ann@example.net")
    assert result.exit_code == 2 and "no list nope@example.org" in result.output


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the backend under test."""
    from tests.conftest import TEST_DB
    from tests.support.db import create_test_database, drop_test_database

    if TEST_DB != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"mailflow_fresh_{tmp_path.name[-8:].replace('-', '_')}"
    yield create_test_database(name)
    drop_test_database(name)


def test_db_upgrade_and_downgrade_through_the_console_script(tmp_path, fresh_database_url):
    env = {
        "MAILFLOW_DATABASE_URL": fresh_database_url,
        "MAILFLOW_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "db", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    for step in (("upgrade",), ("downgrade", "base"), ("upgrade",)):
        result = run(*step)
        assert result.returncode == 0, result.stderr
    assert "(head)" in run("current").stdout


def test_users_notices_sets_the_mode_and_refuses_bad_values(mailflow):
    mlist = make_list()
    make_user("mod@example.org", roles={mlist: "moderator"})
    ok = mailflow("users", "notices", "mod@example.org", "team@example.org", "interval", "--minutes", "15")
    assert ok.exit_code == 0, ok.output
    pref = db.session.scalar(select(NoticePreference))
    assert (pref.mode, pref.interval_minutes) == ("interval", 15)
    for args in (["interval", "--minutes", "1"], ["each", "--membership", "each"], ["hourly"]):
        assert mailflow("users", "notices", "mod@example.org", "team@example.org", *args).exit_code == 2


def test_only_the_web_commands_build_the_web_side(settings, monkeypatch):
    """A worker or an admin command builds its app without the panel (faster start); `web` and `routes` with it."""
    built: list[bool] = []
    monkeypatch.setattr(
        "app.cli.create_app", lambda web=True: built.append(web) or create_app(settings, web=web)
    )
    runner = CliRunner()
    runner.invoke(cli, ["lists", "list"])
    routes = runner.invoke(cli, ["routes"])
    assert built == [False, True]
    assert "auth.login" in routes.output and "/api/v1" in routes.output
    bare = create_app(settings, web=False)
    assert "auth.login" not in bare.view_functions and "archive.index" not in bare.view_functions
