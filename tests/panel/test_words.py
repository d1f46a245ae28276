"""The panel's words: sentences without Python quoting, flashes that say what happened, safe defaults."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Post, PostStatus
from app.models.audit import record
from tests.panel.conftest import held_post

GOOD_SETTINGS = {
    "display_name": "Alpha",
    "subscription_policy": "confirm",
    "posting_policy": "members",
    "nonmember_action": "hold",
    "hold_days": "14",
    "reply_to_mode": "leave",
    "dmarc_mode": "auto",
    "dmarc_author_field": "reply-to",
    "max_message_size": "0",
    "max_recipients": "0",
}


def flashes(body: str) -> list[tuple[str, str]]:
    """(kind, text) of each flash message on a page."""
    return [
        (kind, re.sub(r"<[^>]+>", "", text).strip())
        for kind, text in re.findall(r'<p class="flash flash-(\w+)"[^>]*>(.*?)</p>', body, re.S)
    ]


def test_a_bad_address_is_an_error_in_words_without_python_quoting(world, browser_for):
    browser = browser_for("owner@example.org")
    roster = f"/lists/{world['a'].id}/members"
    response = browser.submit(
        roster, {"address": "bogus@@example"}, action=f"{roster}/add", follow_redirects=True
    )
    [(kind, text)] = flashes(response.data.decode())
    assert kind == "error"
    assert "'" not in text and "bogus@@example is not a usable address." in text
    response = browser.submit(
        roster, {"address": "eve@example.net"}, action=f"{roster}/add", follow_redirects=True
    )
    assert flashes(response.data.decode()) == [("ok", "Added eve@example.net.")]


def test_audit_details_read_as_words(world, browser_for):
    record(
        "list.settings", "owner@example.org", list_id=world["a"].id, changed=["reply_to_mode", "emergency"]
    )
    record("user.create", "admin@example.org", "user", 3, admin=False)
    db.session.commit()
    body = browser_for("admin@example.org").get("/audit").data.decode()
    assert "changed: reply to mode, emergency" in body and "admin: no" in body
    assert "[" not in re.sub(r"<script.*?</script>", "", body.split("<main", 1)[1], flags=re.S)
    assert "False" not in body


def test_every_settings_error_at_once_with_the_values_kept(world, browser_for):
    browser = browser_for("owner@example.org")
    page = f"/lists/{world['a'].id}/settings"
    body = browser.get(page).data.decode()
    assert "confirm: the person answers a mail first" in body  # each setting explained in one line
    bad = {**GOOD_SETTINGS, "display_name": "", "hold_days": "999", "reply_to_mode": "explicit"}
    response = browser.submit(page, bad)
    body = response.data.decode()
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)
    assert 'href="#display_name"' in summary and 'href="#hold_days"' in summary
    assert 'href="#reply_to_address"' in summary  # the registry's check too, not only after the rest passes
    hold_days = re.search(r"<input[^>]*id=\"hold_days\"[^>]*>", body).group(0)
    assert 'value="999"' in hold_days and 'aria-invalid="true"' in hold_days
    assert 'aria-describedby="hold_days-hint hold_days-error"' in hold_days


def test_a_wrong_current_password_is_said_even_when_the_new_ones_differ(world, browser_for):
    browser = browser_for("owner@example.org")
    response = browser.submit(
        "/account/password", {"current": "not my password", "new": "short", "repeat": "different"}
    )
    body = response.data.decode()
    assert "That is not your current password." in body
    assert "The two passwords differ." in body
    assert "Use at least 10 characters" in body and "Field must be" not in body


def test_users_page_says_what_happened_and_defaults_to_the_safe_role(world, browser_for):
    users = world["users"]
    browser = browser_for("admin@example.org")
    page = f"/users/{users['owner'].id}"
    body = browser.get(page).data.decode()
    assert re.search(r'<option selected value="moderator">|<option value="moderator" selected', body)
    response = browser.submit(
        page, {"list_id": world["a"].id, "role": "owner"}, action=page, follow_redirects=True
    )
    assert flashes(response.data.decode()) == [
        ("info", "Nothing changed: owner@example.org already is owner of alpha@example.org.")
    ]
    response = browser.submit(page, {}, action=f"{page}/toggle_active", follow_redirects=True)
    assert "owner@example.org is deactivated" in flashes(response.data.decode())[0][1]
    response = browser.submit(page, {}, action=f"{page}/toggle_admin", follow_redirects=True)
    assert flashes(response.data.decode()) == [("ok", "owner@example.org is now a site administrator.")]


def test_safe_defaults_and_plain_titles(world, browser_for):
    browser = browser_for("owner@example.org")
    a = world["a"]
    body = browser.get(f"/lists/{a.id}/rules").data.decode()
    assert re.search(r'<option selected value="hold">|<option value="hold" selected', body)
    body = browser.get(f"/lists/{a.id}/templates").data.decode()
    assert "<script" not in re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    export = browser.get(f"/lists/{a.id}/members/export.csv").data.decode()
    assert ",default," in export and "defer" not in export


def test_decisions_and_bulk_results_in_words(world, browser_for):
    post = held_post(world["a"])
    post.status, post.decision, post.decision_reason = (
        PostStatus.DISTRIBUTED,
        "accept",
        "No rule held the post.",
    )
    db.session.commit()
    browser = browser_for("owner@example.org")
    body = browser.get(f"/posts/{post.id}").data.decode()
    assert "Accepted. No rule held the post." in body and "accept:" not in body
    others = [held_post(world["a"], subject=f"s{n}") for n in range(2)]
    response = browser.submit(
        "/moderation",
        {"action": "discard", "post_id": [str(p.id) for p in others]},
        action="/moderation/bulk",
        follow_redirects=True,
    )
    assert flashes(response.data.decode()) == [("ok", "Discarded 2 posts.")]
    response = browser.submit(
        "/moderation", {"action": "approve"}, action="/moderation/bulk", follow_redirects=True
    )
    [(kind, text)] = flashes(response.data.decode())
    assert kind == "error" and text.startswith("Problem: Select posts first")
    assert db.session.get(Post, others[0].id).status == "discarded"


def test_paste_report_says_why_without_python_quoting(world, browser_for):
    browser = browser_for("owner@example.org")
    page = f"/lists/{world['a'].id}/members/paste"
    body = browser.submit(page, {"lines": "bogus@@example\nok@example.net\n"}).data.decode()
    problem = re.search(r'<td data-label="Problem" class="text">(.*?)</td>', body, re.S).group(1)
    assert problem.startswith("The part after the @-sign") and "'" not in problem and "“@”" in problem
