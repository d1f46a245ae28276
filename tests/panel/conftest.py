"""Panel fixtures: a logged-in test client per role, and forms posted with their real CSRF token."""

from __future__ import annotations

import re
from functools import cache

import pytest
from flask import g
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import ListRole, Role, User
from tests.support.factories import make_list, make_members

PASSWORD = "correct horse battery"
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that logs in and posts forms with the CSRF token of the page it came from."""

    def __init__(self, client) -> None:
        self.client = client
        self.cached_token: str | None = None

    @staticmethod
    def fresh_g() -> None:
        """Requests share the test's app context, so `g` (CSRF token, logged-in user) must start empty each time."""
        for name in list(vars(g)):
            delattr(g, name)

    def token(self, page: str) -> str:
        self.fresh_g()
        body = self.client.get(page).data
        match = CSRF.search(body)
        assert match, f"no CSRF token on {page}"
        return match.group(1).decode()

    def submit(self, page: str, data: dict | None = None, action: str | None = None, **kwargs):
        """Post data to action (default: page) with a CSRF token; the session's token is reused once known."""
        if self.cached_token is None or action is None:
            self.cached_token = self.token(page)
        form = {"csrf_token": self.cached_token, **(data or {})}
        self.fresh_g()
        return self.client.post(action or page, data=form, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        response = self.submit("/login", {"email": email, "password": password})
        self.cached_token = None  # the session was renewed
        return response

    def get(self, url: str, **kwargs):
        self.fresh_g()
        response = self.client.get(url, **kwargs)
        response.get_data()  # consume streamed bodies so their request context ends
        return response


@cache
def cheap_hash() -> str:
    """A low-cost hash of PASSWORD: werkzeug reads the method from the hash, so logins in tests stay fast."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def quick_user(email: str, admin: bool = False, roles: dict | None = None) -> User:
    """A user whose password is PASSWORD, without the production-strength hashing cost."""
    user = User(email=email, is_admin=admin, password_hash=cheap_hash())
    db.session.add(user)
    db.session.flush()
    for mlist, role in (roles or {}).items():
        db.session.add(ListRole(user_id=user.id, list_id=mlist.id, role=role))
    db.session.commit()
    return user


@pytest.fixture
def world(app):
    """Two lists; an admin, an owner of A, a moderator of A, an owner of B, a user without roles."""
    a = make_list("alpha@example.org", "Alpha")
    b = make_list("beta@example.org", "Beta")
    make_members(a, "ann@example.net", "bob@example.net")
    make_members(b, "cyd@example.net")
    users = {
        "admin": quick_user("admin@example.org", admin=True),
        "owner": quick_user("owner@example.org", roles={a: Role.OWNER}),
        "moderator": quick_user("mod@example.org", roles={a: Role.MODERATOR}),
        "owner_b": quick_user("ownerb@example.org", roles={b: Role.OWNER}),
        "nobody": quick_user("nobody@example.org"),
    }
    return {"a": a, "b": b, "users": users}


@pytest.fixture
def browser_for(app):
    """browser_for("owner@example.org") -> a logged-in Browser."""

    def make(email: str) -> Browser:
        browser = Browser(app.test_client())
        response = browser.login(email)
        assert response.status_code == 302, response.data[:500]
        return browser

    return make


def held_post(
    mlist,
    subject: str = "Hello",
    sender: str = "stranger@example.com",
    raw: bytes | None = None,
    reasons: tuple[str, ...] = ("The sender is not a member of the list.",),
):
    """A post the pipeline held, stored as the receiver and the pipeline would leave it."""
    import hashlib

    from app.models import Post, PostStatus
    from tests.support.factories import message

    raw = raw or message(sender=sender, to=mlist.address, subject=subject)
    post = Post(
        list_id=mlist.id,
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        mail_from=sender,
        sender=sender,
        subject=subject,
        status=PostStatus.HELD,
        hold_reasons=list(reasons),
        decision="hold",
        decision_reason="; ".join(reasons),
        rule_hits=["nonmember-moderation"],
        message_id="<m@example.com>",
        rcpt_tos=[mlist.address],
    )
    db.session.add(post)
    db.session.commit()
    return post
