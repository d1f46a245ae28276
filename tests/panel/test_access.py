"""Every panel route, walked as each role: admins everywhere, owners and moderators only on their lists."""

from __future__ import annotations

import pytest
from flask import current_app

from app.extensions import db
from app.models import Ban, FilterRule, Member, MemberImport, Post, Webhook
from tests.panel.conftest import Browser, held_post

# (method, url, who may use it). "admin": site admins; "owner": owners of the list; "staff": owners and
# moderators of the list; "user": anyone logged in. {l} is the list, {p} a held post of it, {m} a member,
# {r} a filter rule, {i} an import, {u} a user, {b} a ban, {s} a site-wide ban, {w} a webhook of the list.
ROUTES = [
    ("GET", "/", "user"),
    ("GET", "/account/password", "user"),
    ("GET", "/account/timezone", "user"),
    ("GET", "/account/tokens/", "user"),
    ("POST", "/account/tokens/", "user"),
    ("GET", "/moderation", "user"),
    ("GET", "/requests", "user"),
    ("POST", "/requests/bulk", "user"),  # acts only on the chosen requests of the user's lists (test below)
    ("GET", "/account/notices", "user"),
    ("POST", "/account/notices/{l}", "staff"),
    ("GET", "/lists/{l}/requests", "staff"),
    ("POST", "/requests/{m}", "staff"),
    ("GET", "/lists/new", "admin"),
    ("GET", "/users/", "admin"),
    ("GET", "/users/{u}", "admin"),
    ("POST", "/users/{u}/reset", "admin"),
    ("GET", "/audit", "admin"),
    ("GET", "/people/", "admin"),
    ("GET", "/people/export.json", "admin"),
    ("POST", "/people/erase", "admin"),
    ("GET", "/lists/{l}", "staff"),
    ("GET", "/lists/{l}/moderation", "staff"),
    ("GET", "/lists/{l}/posts", "staff"),
    ("GET", "/lists/{l}/figures", "staff"),
    ("GET", "/moderation/{p}", "staff"),
    ("POST", "/moderation/{p}", "staff"),
    ("POST", "/moderation/bulk", "staff"),
    ("GET", "/posts/{p}", "staff"),
    ("POST", "/posts/{p}/retry", "staff"),
    ("GET", "/lists/{l}/settings", "owner"),
    ("POST", "/lists/{l}/settings", "owner"),
    ("GET", "/lists/{l}/templates", "owner"),
    ("GET", "/lists/{l}/rules", "owner"),
    ("POST", "/lists/{l}/rules/{r}/up", "owner"),
    ("GET", "/lists/{l}/bans", "staff"),
    ("GET", "/lists/{l}/senders", "staff"),
    ("POST", "/lists/{l}/senders", "staff"),
    ("POST", "/lists/{l}/senders/banned/{b}/delete", "staff"),
    ("POST", "/lists/{l}/senders/import", "staff"),
    ("GET", "/lists/{l}/senders/banned.csv", "staff"),
    ("POST", "/lists/{l}/senders/moderated", "staff"),
    ("POST", "/lists/{l}/senders/password", "owner"),
    ("GET", "/senders/site", "admin"),
    ("POST", "/senders/site", "admin"),
    ("POST", "/senders/site/{s}/delete", "admin"),
    ("POST", "/senders/site/import", "admin"),
    ("GET", "/senders/site/banned.txt", "admin"),
    ("GET", "/lists/{l}/members", "owner"),
    ("POST", "/lists/{l}/members/add", "owner"),
    ("POST", "/lists/{l}/members/enable-bounced", "owner"),
    ("POST", "/lists/{l}/members/remove", "owner"),
    ("POST", "/lists/{l}/members/delivery", "owner"),
    ("GET", "/lists/{l}/members/paste", "owner"),
    ("GET", "/lists/{l}/members/import", "owner"),
    ("GET", "/lists/{l}/members/import/{i}", "owner"),
    ("GET", "/lists/{l}/members/export.csv", "owner"),
    ("GET", "/lists/{l}/members/{m}", "owner"),
    ("POST", "/lists/{l}/members/{m}/approve", "owner"),
    ("GET", "/webhooks/", "user"),
    ("GET", "/webhooks/{w}", "owner"),
    ("POST", "/webhooks/{w}/test", "owner"),
    ("POST", "/webhooks/{w}/enable", "owner"),
    ("GET", "/lists/{l}/delete", "admin"),
    ("POST", "/lists/{l}/delete", "admin"),
]
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.logout",
    "public.healthz",
    "public.readyz",  # JSON of the checks' verdicts, no data (tests/metrics/test_readyz.py)
    "public.unsubscribe_page",
    "public.unsubscribe",
    "public.selfservice.subscribe",
    "public.selfservice.confirm_page",
    "public.manage.request_link",
    "public.manage.page",
    "public.manage.move",
    "webhooks.ses",
    "auth.accept_invite",  # a signed, single-use link (tests/migration: forged and used links answer 404)
}  # the webhook checks SNS signatures
# Areas with their own access tests: the JSON API (role matrix over every route, tests/api/test_api.py; it
# takes tokens, not sessions) and the archive (policy by policy, tests/archive/test_access.py).
# /metrics: loopback or its bearer token, never a session (tests/metrics/test_metrics.py).
# API tokens: revoking someone else's token (tests/panel/test_tokens.py), since {t} is per user.
OWN_ACCESS_TESTS = ("api.", "archive.", "metrics.", "tokens.revoke")


def test_the_table_covers_every_panel_route(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if not r.endpoint.startswith(OWN_ACCESS_TESTS)}
    endpoints -= PUBLIC_ENDPOINTS
    walked = _endpoints_walked(app)
    assert endpoints <= walked, f"not walked: {endpoints - walked}"


def _endpoints_walked(app) -> set[str]:
    adapter = app.url_map.bind("localhost")
    out = set()
    for method, url, _ in ROUTES:
        concrete = url.format(l=1, p=1, m=1, r=1, i=1, u=1, b=1, s=1, w=1)
        out.add(adapter.match(concrete, method=method)[0])
    return out


def _objects(mlist, user_id: int) -> dict:
    post = held_post(mlist, subject=f"held on {mlist.local_part}")
    member = db.session.query(Member).filter_by(list_id=mlist.id).first()
    rule = FilterRule(list_id=mlist.id, position=1, condition="sender", pattern="x", action="hold")
    job = MemberImport(list_id=mlist.id, data=b"a@example.com\n", status="done")
    ban = Ban(list_id=mlist.id, pattern=f"banned@{mlist.domain}")
    site_ban = Ban(list_id=None, pattern=f"site-banned@{mlist.domain}")
    # a target no test can reach: the test button's send is refused before any connection
    hook = Webhook(list_id=mlist.id, url="https://hooks.invalid/x", events=["post.held"], secret="whsec_eA==")
    db.session.add_all([rule, job, ban, site_ban, hook])
    db.session.commit()
    ids = {"l": mlist.id, "p": post.id, "m": member.id, "r": rule.id, "i": job.id, "u": user_id}
    return ids | {"b": ban.id, "s": site_ban.id, "w": hook.id}


def _allowed(role: str, need: str, own_list: bool, role_on_list: str | None) -> bool:
    if role == "admin":
        return True
    if need == "user":
        return True
    if need == "admin":
        return False
    if not own_list or role_on_list is None:
        return False
    return need == "staff" or role_on_list == "owner"


CASES = {  # role name -> (email, role it holds on list A)
    "admin": ("admin@example.org", "owner"),
    "owner": ("owner@example.org", "owner"),
    "moderator": ("mod@example.org", "moderator"),
    "nobody": ("nobody@example.org", None),
}


@pytest.mark.parametrize("role", list(CASES))
def test_every_route_as_each_role(world, browser_for, role):
    email, role_on_a = CASES[role]
    browser = browser_for(email)
    targets = {
        "a": _objects(world["a"], world["users"]["nobody"].id),
        "b": _objects(world["b"], world["users"]["nobody"].id),
    }
    for which, objects in targets.items():
        for method, url, need in ROUTES:
            concrete = url.format(**objects)
            if method == "GET":
                status = browser.get(concrete).status_code
            else:
                data = {"post_id": str(objects["p"]), "action": "discard", "address": "no"}
                status = browser.submit("/", data, action=concrete).status_code
            own = which == "a" or role == "admin"
            expected_ok = _allowed(role, need, own, role_on_a if which == "a" else None)
            if expected_ok:
                assert status in (200, 302, 400), f"{role} {method} {concrete}: {status}"
            else:
                assert status in (403, 404), f"{role} {method} {concrete}: {status} (should be refused)"


def test_moderator_of_a_cannot_touch_list_b(world, browser_for):
    post_b = held_post(world["b"], subject="B only")
    browser = browser_for("mod@example.org")
    for url in (
        f"/lists/{world['b'].id}",
        f"/lists/{world['b'].id}/moderation",
        f"/moderation/{post_b.id}",
        f"/posts/{post_b.id}",
        f"/lists/{world['b'].id}/members",
    ):
        assert browser.get(url).status_code == 404, url
    response = browser.submit("/", {"action": "approve"}, action=f"/moderation/{post_b.id}")
    assert response.status_code == 404
    response = browser.submit(
        "/", {"action": "approve", "post_id": str(post_b.id)}, action="/moderation/bulk"
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Post, post_b.id).status == "held"
    assert b"B only" not in browser.get("/moderation").data


def test_anonymous_is_sent_to_login(world):
    client = Browser(current_app.test_client())
    for method, url, _ in ROUTES:
        if method == "GET":
            response = client.get(url.format(l=1, p=1, m=1, r=1, i=1, u=1, s=1, w=1))
            assert response.status_code == 302 and "/login" in response.location, url


def test_a_moderator_of_a_cannot_decide_requests_of_list_b(world, browser_for):
    request_b = Member(list_id=world["b"].id, email="asks@example.net", status="pending", pending="approval")
    db.session.add(request_b)
    db.session.commit()
    browser = browser_for("mod@example.org")
    assert browser.get(f"/lists/{world['b'].id}/requests").status_code == 404
    assert b"asks@example.net" not in browser.get("/requests").data
    for url, data in (
        (f"/requests/{request_b.id}", {"action": "approve"}),
        ("/requests/bulk", {"action": "approve", "member_id": str(request_b.id)}),
    ):
        assert browser.submit("/", data, action=url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Member, request_b.id).status == "pending"
