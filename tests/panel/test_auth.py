"""Login throttling, session renewal, password changes ending other sessions, safe next=, headers, cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, User
from app.panel.auth import safe_next
from tests.panel.conftest import PASSWORD, Browser, quick_user


def test_login_is_throttled_per_address_and_account_without_a_permanent_lockout(world, app):
    attacker = Browser(app.test_client())
    codes = [attacker.login("owner@example.org", "wrong password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert b"Too many attempts" in attacker.login("owner@example.org", PASSWORD).data
    other = Browser(app.test_client())  # the limit is per client and account: another account still logs in
    assert other.login("mod@example.org").status_code == 302


def test_throttle_counts_live_in_redis_when_configured(settings, redis_url):
    from redis import Redis

    from app import create_app
    from tests.support.db import truncate_all
    from tests.support.factories import make_user

    app = create_app({**settings, "REDIS_URL": redis_url})
    with app.app_context():
        truncate_all()
        make_user("owner@example.org", PASSWORD)
        Browser(app.test_client()).login("owner@example.org", "wrong")
        keys = Redis.from_url(redis_url).keys("*mailflow-limits*")
        truncate_all()
        db.engine.dispose()
    assert keys, "Flask-Limiter did not store its counter in Redis"


def test_login_still_works_and_is_throttled_while_redis_is_down(settings, private_redis):
    from app import create_app
    from tests.support.db import truncate_all

    app = create_app({**settings, "REDIS_URL": private_redis.url})
    with app.app_context():
        truncate_all()
        quick_user("owner@example.org")
        quick_user("mod@example.org")
        private_redis.stop()
        browser = Browser(app.test_client())
        codes = [browser.login("owner@example.org", "wrong").status_code for _ in range(6)]
        good = Browser(app.test_client()).login("mod@example.org").status_code
        truncate_all()
        db.engine.dispose()
    assert codes == [401] * 5 + [429]  # counted in memory meanwhile
    assert good == 302


def test_login_renews_the_session_and_a_password_change_ends_other_sessions(world, app):
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.token("/login")
    before = first.client.get_cookie("session").value
    first.login("owner@example.org")
    assert first.client.get_cookie("session").value != before
    second.login("owner@example.org")
    assert second.get("/").status_code == 200
    response = first.submit(
        "/account/password",
        {"current": PASSWORD, "new": "a brand new password", "repeat": "a brand new password"},
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # this session carries on
    assert second.get("/").status_code == 302  # the other one is logged out
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "user.password"))


def test_password_change_needs_the_current_password(world, browser_for):
    browser = browser_for("owner@example.org")
    response = browser.submit(
        "/account/password", {"current": "nope", "new": "another long one", "repeat": "another long one"}
    )
    assert response.status_code == 400 and b"not your current password" in response.data


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/lists/1", "/lists/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        (None, "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_stays_on_our_host(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_security_headers_and_production_cookie_flags(world, app):
    browser = Browser(app.test_client())
    response = browser.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    browser.login("owner@example.org")
    cookie = browser.client.get_cookie("session")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"  # PUBLIC_URL is https here


def test_admin_manages_users_and_roles(world, browser_for, app):
    admin = browser_for("admin@example.org")
    response = admin.submit("/users/", {"email": "new@example.org", "password": "initial password 1"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    admin.submit(f"/users/{user.id}", {"list_id": str(world["a"].id), "role": "moderator"})
    newcomer = Browser(app.test_client())
    assert newcomer.login("new@example.org", "initial password 1").status_code == 302
    assert newcomer.get(f"/lists/{world['a'].id}/moderation").status_code == 200
    assert (
        newcomer.get(f"/lists/{world['a'].id}/settings").status_code == 403
    )  # a moderator is told why, not "not found"
    admin.submit(f"/users/{user.id}", {"password": "reset password 22"}, action=f"/users/{user.id}/reset")
    assert newcomer.get("/").status_code == 302  # the reset ended the user's session
    assert Browser(app.test_client()).login("new@example.org", "reset password 22").status_code == 302
    admin.submit(f"/users/{user.id}", {}, action=f"/users/{user.id}/toggle_active")
    assert Browser(app.test_client()).login("new@example.org", "reset password 22").status_code == 401
    assert browser_for("owner@example.org").get("/users/").status_code == 403
