"""Panel fixtures: a logged-in test client per role, and forms posted with their real CSRF token."""

from __future__ import annotations

import re

import pytest
from flask import g

from app.models import Role
from tests.support.factories import make_list, make_members, make_user

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


@pytest.fixture
def world(app):
    """Two lists; an admin, an owner of A, a moderator of A, an owner of B, a user without roles."""
    a = make_list("alpha@example.org", "Alpha")
    b = make_list("beta@example.org", "Beta")
    make_members(a, "ann@example.net", "bob@example.net")
    make_members(b, "cyd@example.net")
    users = {
        "admin": make_user("admin@example.org", PASSWORD, admin=True),
        "owner": make_user("owner@example.org", PASSWORD, roles={a: Role.OWNER}),
        "moderator": make_user("mod@example.org", PASSWORD, roles={a: Role.MODERATOR}),
        "owner_b": make_user("ownerb@example.org", PASSWORD, roles={b: Role.OWNER}),
        "nobody": make_user("nobody@example.org", PASSWORD),
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


def held_post(mlist, subject: str = "Hello", sender: str = "stranger@example.com", raw: bytes | None = None,
              reasons: tuple[str, ...] = ("The sender is not a member of the list.",)):
    """A post the pipeline held, stored as the receiver and the pipeline would leave it."""
    import hashlib

    from app.extensions import db
    from app.models import Post, PostStatus
    from tests.support.factories import message

    raw = raw or message(sender=sender, to=mlist.address, subject=subject)
    post = Post(list_id=mlist.id, raw=raw, size=len(raw), sha256=hashlib.sha256(raw).hexdigest(),
                mail_from=sender, sender=sender, subject=subject, status=PostStatus.HELD,
                hold_reasons=list(reasons), decision="hold", decision_reason="; ".join(reasons),
                rule_hits=["nonmember-moderation"], message_id="<m@example.com>", rcpt_tos=[mlist.address])
    db.session.add(post)
    db.session.commit()
    return post
