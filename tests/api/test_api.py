"""/api/v1 through real HTTP: tokens, roles, lists, members, held posts, problems, the OpenAPI document."""

from __future__ import annotations

import re
import urllib.error

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from app.api.spec import ENDPOINTS
from app.extensions import db
from app.models import Member, Post, User
from tests.panel.conftest import held_post
from tests.support.factories import make_list, make_members, make_user
from tests.support.web import csrf_token

PROBLEM = "application/problem+json"


@pytest.fixture
def world(app):
    """Lists A and B; an owner and a moderator of A; an admin; a user with no role."""
    a, b = make_list("a@example.org", "A"), make_list("b@example.org", "B")
    make_members(a, "ann@example.net", "bob@example.net", "cat@example.net")
    make_members(b, "zed@example.net")
    make_user("owner@example.org", roles={a: "owner"})
    make_user("mod@example.org", roles={a: "moderator"})
    make_user("admin@example.org", admin=True)
    make_user("nobody@example.org")
    return a, b


def test_no_token_a_bad_token_or_a_browser_session_get_401(api_server, world):
    for token in (None, "mfa_not-a-token", "garbage"):
        answer = api_server.call("GET", "/lists", token)
        assert answer.status == 401 and answer.headers["Content-Type"] == PROBLEM
        assert answer.body["status"] == 401 and "Bearer" in answer.headers["WWW-Authenticate"]
    site = api_server.base.removesuffix("/api/v1")
    browser = api_server.session_opener()
    with browser.open(site + "/login") as page:
        token = csrf_token(page.read().decode())
    form = f"email=admin%40example.org&password=correct+horse+battery&csrf_token={token}".encode()
    with browser.open(site + "/login", data=form) as page:
        assert page.status == 200 and page.url.endswith("/")  # logged in: the dashboard
    with pytest.raises(urllib.error.HTTPError) as refused:
        browser.open(api_server.base + "/lists")
    refused.value.close()
    assert refused.value.code == 401


def test_a_token_acts_with_its_users_roles(api_server, world):
    owner = api_server.token_for("owner@example.org")
    listed = api_server.call("GET", "/lists", owner)
    assert listed.status == 200 and listed.body["items"] == [
        {"address": "a@example.org", "display_name": "A", "roles": ["owner"]}
    ]
    assert "RateLimit-Limit" in listed.headers
    admin = api_server.call("GET", "/lists", api_server.token_for("admin@example.org"))
    assert [i["address"] for i in admin.body["items"]] == ["a@example.org", "b@example.org"]


def _example_path(path: str, post_id: int) -> str:
    values = {"address": "b@example.org", "email": "zed@example.net", "post_id": str(post_id)}
    return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], path)


def test_every_list_route_answers_404_for_a_list_the_token_has_no_role_on(api_server, world):
    a, b = world
    post = held_post(b)
    token = api_server.token_for("owner@example.org")
    scoped = [ep for ep in ENDPOINTS if "{" in ep.path]
    assert len(scoped) >= 9
    bodies = {"PATCH": {}, "POST": {"action": "discard"}}
    for ep in scoped:
        body = {"email": "new@example.net"} if ep.path.endswith("/members") and ep.method == "POST" else None
        body = {"members": [{"email": "new@example.net"}]} if ep.path.endswith("/bulk") else body
        body = {"action": "approve"} if "/requests/" in ep.path else body
        answer = api_server.call(
            ep.method, _example_path(ep.path, post.id), token, body or bodies.get(ep.method)
        )
        assert answer.status == 404, (ep.method, ep.path, answer.body)
        assert answer.headers["Content-Type"] == PROBLEM
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "held"
    assert db.session.scalar(select(Member).where(Member.email == "new@example.net")) is None


def test_moderators_moderate_but_do_not_see_the_roster_or_change_settings(api_server, world):
    a, _ = world
    post = held_post(a)
    mod = api_server.token_for("mod@example.org")
    assert api_server.call("GET", "/lists/a@example.org/members", mod).status == 404
    assert api_server.call("PATCH", "/lists/a@example.org", mod, {"subject_prefix": "[x]"}).status == 404
    held = api_server.call("GET", "/lists/a@example.org/held", mod)
    assert [p["id"] for p in held.body["items"]] == [post.id]
    done = api_server.call(
        "POST", f"/posts/{post.id}/moderation", mod, {"action": "reject", "reason": "Off topic"}
    )
    assert done.status == 200 and done.body == {"id": post.id, "status": "rejected"}
    again = api_server.call("POST", f"/posts/{post.id}/moderation", mod, {"action": "approve"})
    assert again.status == 409 and again.headers["Content-Type"] == PROBLEM
    shown = api_server.call("GET", f"/posts/{post.id}", mod)
    assert shown.body["status"] == "rejected" and "deliveries" in shown.body


def test_list_settings_change_with_the_panels_validation(api_server, world):
    owner = api_server.token_for("owner@example.org")
    changed = api_server.call(
        "PATCH", "/lists/a@example.org", owner, {"subject_prefix": "[A]", "emergency": True}
    )
    assert changed.status == 200
    assert (
        changed.body["settings"]["subject_prefix"] == "[A]" and changed.body["settings"]["emergency"] is True
    )
    bad = api_server.call("PATCH", "/lists/a@example.org", owner, {"subject_prefix": "[B]", "hold_days": 999})
    assert bad.status == 422 and bad.headers["Content-Type"] == PROBLEM
    assert [e["field"] for e in bad.body["errors"]] == ["hold_days"]
    unknown = api_server.call("PATCH", "/lists/a@example.org", owner, {"colour": "red"})
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "colour"
    after = api_server.call("GET", "/lists/a@example.org", owner)
    assert after.body["settings"]["subject_prefix"] == "[A]"  # the bad request changed nothing


def test_members_add_page_change_and_remove(api_server, world):
    owner = api_server.token_for("owner@example.org")
    path = "/lists/a@example.org/members"
    first = api_server.call("POST", path, owner, {"email": "New@Example.net", "name": "New One"})
    assert first.status == 201 and first.body == {"added": 1, "existing": 0, "invalid": []}
    again = api_server.call("POST", path, owner, {"email": "new@example.net"})
    assert again.status == 200 and again.body["existing"] == 1
    bulk = {"members": [{"email": "dan@example.net"}, {"email": "ann@example.net"}, {"email": "bad@@x"}]}
    added = api_server.call("POST", path + "/bulk", owner, bulk)
    assert (added.body["added"], added.body["existing"], len(added.body["invalid"])) == (1, 1, 1)
    assert api_server.call("POST", path + "/bulk", owner, bulk).body["added"] == 0  # idempotent
    invite = {"members": [{"email": "inv@example.net"}], "mode": "invite"}
    assert api_server.call("POST", path + "/bulk", owner, invite).body["added"] == 1
    invited = api_server.call("GET", f"{path}/inv@example.net", owner).body["settings"]
    assert invited["status"] == "pending"  # only confirming the invitation makes a member
    wrong_mode = api_server.call("POST", path + "/bulk", owner, {**invite, "mode": "loudly"})
    assert wrong_mode.status == 422
    seen, cursor = [], None
    while True:
        page = api_server.call("GET", f"{path}?limit=2" + (f"&cursor={cursor}" if cursor else ""), owner)
        seen += [m["email"] for m in page.body["items"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
    changed = api_server.call("PATCH", f"{path}/bob@example.net", owner, {"moderation": "hold"})
    assert changed.status == 200 and changed.body["settings"]["moderation"] == "hold"
    wrong = api_server.call("PATCH", f"{path}/bob@example.net", owner, {"moderation": "sometimes"})
    assert wrong.status == 422 and wrong.body["errors"][0]["field"] == "moderation"
    assert api_server.call("DELETE", f"{path}/bob@example.net", owner).status == 204
    gone = api_server.call("GET", f"{path}/bob@example.net", owner)  # kept, marked, as the panel does
    assert gone.status == 200 and gone.body["settings"]["status"] == "unsubscribed"
    assert api_server.call("GET", f"{path}?cursor=%%%", owner).status == 400


def test_bodies_are_checked_before_anything_happens(api_server, world):
    owner = api_server.token_for("owner@example.org")
    missing = api_server.call("POST", "/lists/a@example.org/members", owner, {"name": "no address"})
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "email"
    not_json = api_server.call("POST", "/lists/a@example.org/members", owner, None)
    assert not_json.status == 415


def test_revoked_tokens_and_deactivated_users_are_refused(api_server, world):
    token = api_server.token_for("owner@example.org", name="laptop")
    assert api_server.call("GET", "/lists", token).status == 200
    user = db.session.scalar(select(User).where(User.email == "owner@example.org"))
    user.active = False
    db.session.commit()
    assert api_server.call("GET", "/lists", token).status == 401
    user.active = True
    db.session.commit()
    listed = api_server.cli("users", "tokens", "owner@example.org")
    token_id = listed.stdout.split()[0]
    assert "laptop" in listed.stdout and token not in listed.stdout
    assert api_server.cli("users", "revoke-token", "owner@example.org", token_id).returncode == 0
    assert api_server.call("GET", "/lists", token).status == 401


def test_the_openapi_document_is_valid_and_names_every_route(api_server, app):
    answer = api_server.call("GET", "/openapi.json")
    assert answer.status == 200
    validate(answer.body)
    documented = {(m.upper(), p) for p, ops in answer.body["paths"].items() for m in ops}
    routes = {
        (method, re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api.openapi_json", "api.reference")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes and routes == documented
    page = api_server.call("GET", "/docs")
    assert page.status == 200 and "/api/v1/lists/{address}/members" in page.body
