"""Issue 16 in chromium: the Senders tab (allow, ban a previewed pattern, remove) and the queue's shortcuts."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AllowedSender, Ban, Post
from tests.browser.test_panel_use import PHONE, log_in, shot, status, team  # noqa: F401 (team: a fixture)
from tests.panel.conftest import quick_user
from tests.support.factories import make_list, make_members


def test_the_senders_tab_adds_previews_and_removes(live, browser):
    _, base = live
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "ann@example.net", "bob@example.net", "cyd@example.com")
    quick_user("owner@example.org", roles={mlist: "owner"})
    page = log_in(browser, base, "owner@example.org")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/lists/{mlist.id}/senders")
    page.select_option("#which", "allowed")
    page.fill("#pattern", "friend@example.org")
    with page.expect_navigation():
        page.click("#save")
    assert "friend@example.org" in page.inner_text("#allowed-entries")
    page.select_option("#which", "banned")
    page.fill("#pattern", r"^.*@example\.net$")
    with page.expect_navigation():
        page.click("#check")
    assert "matches 2 member(s)" in page.inner_text("#pattern-preview")
    assert "ann@example.net" in page.inner_text("#pattern-preview")
    shot(page, "senders-preview-desktop")
    with page.expect_navigation():
        page.click("#save")
    assert r"^.*@example\.net$" in page.inner_text("#banned-entries")
    with page.expect_navigation():
        page.click("#allowed-entries button:has-text('Remove')")
    assert page.locator("#allowed-entries").count() == 0
    assert db.session.scalars(select(AllowedSender)).all() == []
    assert db.session.scalars(select(Ban.pattern)).all() == [r"^.*@example\.net$"]
    phone = log_in(browser, base, "owner@example.org", viewport=PHONE)
    phone.goto(f"{base}/lists/{mlist.id}/senders")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "senders-phone")


def test_the_queue_by_shortcuts_j_k_x_then_a(team, browser):  # noqa: F811 (team is the fixture)
    base, mlist, (first, second, third) = team
    page = log_in(browser, base, "mod@example.org")
    page.goto(f"{base}/lists/{mlist.id}/moderation")
    assert page.is_visible("#queue-keys")
    focused = "document.querySelector('tr.focused')?.dataset.post"
    page.keyboard.press("j")
    assert page.evaluate(focused) == str(first)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.evaluate(focused) == str(second)
    page.keyboard.press("x")
    assert page.is_checked(f"tr[data-post='{second}'] input[type=checkbox]")
    shot(page, "queue-keys-desktop")
    with page.expect_navigation():
        page.keyboard.press("a")
    db.session.expire_all()
    assert db.session.get(Post, second).moderator_decision == "approve"
    assert [status(p) for p in (first, third)] == ["held", "held"]
    assert page.evaluate(focused) == str(third)  # the highlight stays in place: now on the next post
    phone = log_in(browser, base, "mod@example.org", viewport=PHONE)
    phone.goto(f"{base}/lists/{mlist.id}/moderation")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not phone.is_visible("#queue-keys")  # no keyboard on a phone: no key help
    shot(phone, "queue-phone")
