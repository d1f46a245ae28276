"""The API tokens page: create (shown once), list with last use, revoke; own tokens, admins see all."""

from __future__ import annotations

import re

from app.accounts.tokens import create_token, user_for
from app.extensions import db
from app.models import User
from app.models.api_tokens import ApiToken
from app.models.audit import CLI

PAGE = "/account/tokens/"
SECRET = re.compile(r'id="new-token">(mfa_[\w-]+)<')


def _user(email: str) -> User:
    return db.session.query(User).filter_by(email=email).one()


def test_a_user_creates_a_named_token_shown_once_and_it_works(world, browser_for):
    browser = browser_for("mod@example.org")
    made = browser.submit(PAGE, {"name": "CRM sync"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(made.get_data(as_text=True))[1]
    assert user_for(secret).email == "mod@example.org"
    again = browser.get(PAGE).get_data(as_text=True)
    assert "CRM sync" in again and secret not in again and secret[:12] in again and "never" not in again
    nameless = browser.submit(PAGE, {"name": "  "})
    assert nameless.status_code == 400 and "Name the token" in nameless.get_data(as_text=True)


def test_a_user_sees_and_revokes_only_their_own_tokens(world, browser_for):
    mine, _ = create_token(_user("mod@example.org"), "mine", CLI)
    theirs, their_secret = create_token(_user("owner@example.org"), "theirs", CLI)
    browser = browser_for("mod@example.org")
    page = browser.get(PAGE).get_data(as_text=True)
    assert "mine" in page and "theirs" not in page and "never" in page
    refused = browser.submit(PAGE, {}, action=f"{PAGE}{theirs.id}/revoke")
    assert refused.status_code == 404 and user_for(their_secret) is not None
    done = browser.submit(PAGE, {}, action=f"{PAGE}{mine.id}/revoke")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, mine.id).revoked_at is not None
    assert "revoked" in browser.get(PAGE).get_data(as_text=True)


def test_an_admin_sees_and_revokes_everyones_tokens(world, browser_for):
    theirs, their_secret = create_token(_user("owner@example.org"), "theirs", CLI)
    browser = browser_for("admin@example.org")
    page = browser.get(PAGE).get_data(as_text=True)
    assert "Other users" in page and "owner@example.org" in page and "theirs" in page
    assert browser.submit(PAGE, {}, action=f"{PAGE}{theirs.id}/revoke").status_code == 302
    assert user_for(their_secret) is None


def test_revoking_needs_the_csrf_token(world, browser_for):
    mine, secret = create_token(_user("mod@example.org"), "mine", CLI)
    browser = browser_for("mod@example.org")
    browser.fresh_g()
    assert browser.client.post(f"{PAGE}{mine.id}/revoke").status_code == 400
    assert user_for(secret) is not None
