"""/api/v1 subscription requests and archive search, through real HTTP: roles, policies, problems."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Member, MemberStatus, PendingAction, SystemMail
from tests.archive.support import mail, put
from tests.support.factories import make_list, make_user

PROBLEM = "application/problem+json"


def _request(mlist, email: str) -> None:
    db.session.add(
        Member(
            list_id=mlist.id,
            email=email,
            name="Req",
            status=MemberStatus.PENDING,
            pending=PendingAction.APPROVAL,
        )
    )
    db.session.commit()


def _people(a, b) -> None:
    make_user("owner@example.org", roles={a: "owner"})
    make_user("mod@example.org", roles={a: "moderator"})
    make_user("nobody@example.org")
    make_user("admin@example.org", admin=True)


def test_moderators_list_approve_and_deny_requests_with_a_reason(api_server, app):
    a, b = make_list("a@example.org", "A", subscription_policy="moderate"), make_list("b@example.org", "B")
    _people(a, b)
    for email in ("ann@example.net", "bob@example.net"):
        _request(a, email)
    _request(b, "zed@example.net")
    mod = api_server.token_for("mod@example.org")
    waiting = api_server.call("GET", "/lists/a@example.org/requests", mod)
    assert waiting.status == 200
    assert [r["email"] for r in waiting.body["items"]] == ["ann@example.net", "bob@example.net"]
    approved = api_server.call(
        "POST", "/lists/a@example.org/requests/ann@example.net", mod, {"action": "approve"}
    )
    assert approved.status == 200 and approved.body == {"email": "ann@example.net", "status": "active"}
    denied = api_server.call(
        "POST",
        "/lists/a@example.org/requests/bob@example.net",
        mod,
        {"action": "deny", "reason": "Staff only"},
    )
    assert denied.status == 200 and denied.body["status"] == "denied"
    again = api_server.call(
        "POST", "/lists/a@example.org/requests/bob@example.net", mod, {"action": "approve"}
    )
    assert again.status == 404 and again.headers["Content-Type"] == PROBLEM
    bad = api_server.call("POST", "/lists/a@example.org/requests/ann@example.net", mod, {"action": "maybe"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "action"
    assert api_server.call("GET", "/lists/b@example.org/requests", mod).status == 404
    assert (
        api_server.call(
            "GET", "/lists/a@example.org/requests", api_server.token_for("nobody@example.org")
        ).status
        == 404
    )
    db.session.expire_all()
    told = db.session.scalar(select(SystemMail).where(SystemMail.rcpt == "bob@example.net"))
    assert told is not None and b"Staff only" in told.data and b"Auto-Submitted" in told.data
    denial = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.deny"))
    assert denial is not None and denial.actor == "mod@example.org"


def test_archive_search_follows_the_archive_policy_and_roles(api_server, app):
    a = make_list("a@example.org", "A", archive_policy="private")
    b = make_list("b@example.org", "B", archive_policy="public")
    none = make_list("c@example.org", "C", archive_policy="none")
    _people(a, b)
    for mlist in (a, b, none):
        put(mlist, mail("Kayak trip", "We paddle on Sunday.\n", f"k@{mlist.local_part}.example.org",
                        sender="Alice <alice@example.org>"))  # fmt: skip
    owner, nobody = api_server.token_for("owner@example.org"), api_server.token_for("nobody@example.org")
    mine = api_server.call("GET", "/lists/a@example.org/archive/search?q=kayak", owner)
    assert mine.status == 200 and [h["subject"] for h in mine.body["items"]] == ["Kayak trip"]
    hit = mine.body["items"][0]
    assert "alice@example.org" in hit["author"] and hit["permalink"].endswith(
        "/archive/a@example.org/m/" + hit["key"]
    )
    assert "<mark>" not in hit["snippet"] and mine.body["has_next"] is False
    assert api_server.call("GET", "/lists/a@example.org/archive/search?q=kayak", nobody).status == 404
    public = api_server.call("GET", "/lists/b@example.org/archive/search?q=kayak", nobody)
    assert public.status == 200 and "alice@example.org" not in public.body["items"][0]["author"]  # obfuscated
    for token in (owner, api_server.token_for("admin@example.org")):
        assert api_server.call("GET", "/lists/c@example.org/archive/search?q=kayak", token).status == 404
    empty = api_server.call("GET", "/lists/a@example.org/archive/search?q=", owner)
    assert empty.status == 400 and empty.headers["Content-Type"] == PROBLEM
    bad_date = api_server.call("GET", "/lists/a@example.org/archive/search?q=kayak&since=soon", owner)
    assert bad_date.status == 400 and "YYYY-MM-DD" in bad_date.body["detail"]
