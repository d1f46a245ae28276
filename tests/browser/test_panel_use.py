"""The panel as people use it, in chromium: Enter never approves, the queue is quick, tables read on a phone."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Post, PostStatus
from tests.browser.conftest import SCREENSHOTS
from tests.panel.conftest import PASSWORD, held_post, quick_user
from tests.support.factories import make_list, make_members, message

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def status(post_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Post, post_id).status


def log_in(browser, base: str, email: str, viewport=DESKTOP):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button:text-is('Log in'), input[type=submit][value='Log in']")
    return page


@pytest.fixture
def team(live):
    """A list with members, a moderator, and three held posts from a stranger."""
    app, base = live
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "ann@example.net", "bob@example.net")
    quick_user("mod@example.org", roles={mlist: "moderator"})
    posts = [
        held_post(
            mlist,
            subject=f"Offer number {n}",
            raw=message(
                sender="Sam Stranger <sam@example.com>",
                subject=f"Offer number {n}",
                body=f"Dear list, this is offer {n} of three.\n",
            ),
            reasons=("The sender is not a member of the list.", "The sender is not a member of the list."),
        )
        for n in (1, 2, 3)
    ]
    return base, mlist, [p.id for p in posts]


def test_enter_in_the_reject_reason_rejects_on_a_held_post(team, browser):
    base, _, (first, second, _) = team
    page = log_in(browser, base, "mod@example.org")
    page.goto(f"{base}/moderation/{first}")
    page.fill("#custom-one", "Please use the jobs list")
    with page.expect_navigation():
        page.press("#custom-one", "Enter")
    assert status(first) == PostStatus.REJECTED
    assert "Please use the jobs list" in db.session.get(Post, first).decision_reason
    assert page.url.endswith(f"/moderation/{second}")  # went on to the next held post
    assert "Rejected the post" in page.locator(".flash-ok").inner_text()


def test_enter_in_the_bulk_reason_rejects_the_selected_posts_only(team, browser):
    base, mlist, (first, second, third) = team
    page = log_in(browser, base, "mod@example.org")
    page.goto(f"{base}/lists/{mlist.id}/moderation")
    page.fill("#custom-bulk", "Not here")
    with page.expect_navigation():
        page.press("#custom-bulk", "Enter")  # nothing selected: nothing happens but a hint
    assert [status(p) for p in (first, second, third)] == ["held"] * 3
    assert "Select posts first" in page.locator(".flash-error").inner_text()
    page.check(f"input[name=post_id][value='{second}']")
    page.fill("#custom-bulk", "Not here")
    with page.expect_navigation():
        page.press("#custom-bulk", "Enter")
    assert [status(p) for p in (first, second, third)] == ["held", "rejected", "held"]
    assert page.locator(".flash-ok").inner_text().endswith("Rejected 1 post; the senders were told why.")
