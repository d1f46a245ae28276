"""Issue 12 items 10 and 19: logout ends the session on the server; deactivated accounts cost a hash too."""

from __future__ import annotations

import werkzeug.security

from app.extensions import db
from app.panel import auth as auth_module
from tests.support.factories import make_user
from tests.support.web import csrf_token, login

PASSWORD = "correct horse battery"


def test_a_copied_session_cookie_stops_working_after_logout(app, client):
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", PASSWORD)
    stolen = client.get_cookie("session").value
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _count_hash_checks(monkeypatch) -> list[str]:
    """Record every password hash the login form checks (the real check still runs)."""
    checked: list[str] = []
    real = werkzeug.security.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth_module, "check_password_hash", counting)
    monkeypatch.setattr("app.models.users.check_password_hash", counting)
    return checked


def test_deactivated_unknown_and_active_accounts_cost_the_same_hash_check(app, client, monkeypatch):
    gone = make_user("gone@example.org")
    gone.active = False
    db.session.commit()
    make_user("here@example.org")
    checked = _count_hash_checks(monkeypatch)
    for email in ("gone@example.org", "nobody@example.org", "here@example.org"):
        checked.clear()
        assert login(client, email, "a wrong password").status_code == 401
        assert len(checked) == 1, email
        method = checked[0].split("$", 1)[0]
        assert method == gone.password_hash.split("$", 1)[0], email  # the same algorithm and cost
    checked.clear()
    assert login(client, "gone@example.org", PASSWORD).status_code == 401
    assert len(checked) == 1
