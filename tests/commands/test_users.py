"""`mailflow users list|grant|revoke` through the console script; the panel's role checks follow."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, ListRole
from tests.panel.conftest import Browser, quick_user
from tests.support.factories import make_list


def test_grant_list_and_revoke_roles_and_the_panel_follows(console, client):
    team = make_list("team@example.org")
    make_list("news@example.org")
    quick_user("root@example.org", admin=True)
    ann = quick_user("ann@example.org")
    browser = Browser(client)
    browser.login("ann@example.org")
    settings_page = f"/lists/{team.id}/settings"
    assert browser.get(settings_page).status_code == 404

    result = console("users", "grant", "Ann@Example.org", "team@example.org", "owner")
    assert result.returncode == 0, result.stderr
    assert "ann@example.org is now owner of team@example.org" in result.stdout
    assert "already was" in console("users", "grant", "ann@example.org", "team@example.org", "owner").stdout
    console("users", "grant", "ann@example.org", "news@example.org", "moderator")
    assert browser.get(settings_page).status_code == 200

    listing = console("users", "list")
    assert listing.stdout.splitlines() == [
        "ann@example.org active moderator:news@example.org owner:team@example.org",
        "root@example.org active,admin",
    ]
    assert console("users", "revoke", "ann@example.org", "team@example.org", "owner").returncode == 0
    assert browser.get(settings_page).status_code == 404
    assert db.session.scalars(select(ListRole.role).where(ListRole.user_id == ann.id)).all() == ["moderator"]
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "cli")).all()
    assert sorted(actions) == ["user.role.add", "user.role.add", "user.role.drop"]


def test_bad_role_user_or_list_exits_2_and_changes_nothing(console):
    make_list("team@example.org")
    quick_user("ann@example.org")
    for args, says in (
        (("ann@example.org", "team@example.org", "admin"), "'admin' is not one of 'owner', 'moderator'"),
        (("zed@example.org", "team@example.org", "owner"), "no user zed@example.org"),
        (("ann@example.org", "nope@example.org", "owner"), "no list nope@example.org"),
    ):
        result = console("users", "grant", *args)
        assert result.returncode == 2 and says in result.stderr, result.stderr
    assert db.session.scalar(select(ListRole)) is None
