"""Login and logout: hashed passwords, CSRF on every form, a wrong password is a message on the form."""

from __future__ import annotations

from tests.support.factories import make_user
from tests.support.web import csrf_token, login


def test_login_page_has_a_csrf_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert csrf_token(page.get_data(as_text=True))


def test_wrong_password_is_a_message_on_the_form(app, client):
    make_user("admin@example.org", admin=True)
    response = login(client, "admin@example.org", "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out


def test_unknown_user_gets_the_same_message(app, client):
    response = login(client, "nobody@example.org", "whatever password")
    assert response.status_code == 401 and "Wrong email or password." in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, client):
    make_user("admin@example.org", admin=True)
    response = client.post("/login", data={"email": "admin@example.org", "password": "correct horse battery"})
    assert response.status_code in (400, 401)
    assert client.get("/").status_code == 302


def test_login_then_logout(app, client):
    make_user("admin@example.org", admin=True)
    response = login(client, "admin@example.org", "correct horse battery")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    token = csrf_token(dashboard.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_next_only_follows_local_paths(app, client):
    make_user("admin@example.org", admin=True)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": "admin@example.org", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_inactive_user_cannot_log_in(app, client):
    from app.extensions import db

    user = make_user("gone@example.org")
    user.active = False
    db.session.commit()
    assert login(client, "gone@example.org", "correct horse battery").status_code == 401


def test_password_change_ends_other_sessions(app, client):
    from app.extensions import db

    user = make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    assert client.get("/").status_code == 200
    user.set_password("a brand new password")
    db.session.commit()
    assert client.get("/").status_code == 302


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
