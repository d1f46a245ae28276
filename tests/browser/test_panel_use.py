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


def test_select_all_and_a_row_of_its_own(team, browser):
    base, mlist, (first, second, third) = team
    page = log_in(browser, base, "mod@example.org")
    page.goto(f"{base}/moderation")  # every list's queue: one more column
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]  # no sideways scrolling
    page.goto(f"{base}/lists/{mlist.id}/moderation")
    row = page.locator(f"#post-{first}")
    assert "Sam Stranger" in row.inner_text() and "this is offer 1 of three" in row.inner_text()
    assert row.locator(".reasons li").count() == 1  # the repeated reason is one line, counted
    assert "(×2)" in row.locator(".reasons").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]  # no sideways scrolling
    box = page.get_by_role("checkbox", name="Offer number 2")  # each checkbox is named by its post's subject
    assert box.get_attribute("value") == str(second)
    with page.expect_navigation():
        row.get_by_role("button", name="Discard").click()
    assert [status(p) for p in (first, second, third)] == ["discarded", "held", "held"]
    assert page.url.endswith(f"/lists/{mlist.id}/moderation")
    page.check("#select-all")
    assert page.locator("input[name=post_id]:checked").count() == 2
    with page.expect_navigation():
        page.click(".bulk button[value=approve]")
    assert [status(p) for p in (second, third)] != ["held", "held"]
    assert "Approved 2 posts." in page.locator(".flash-ok").inner_text()


def test_the_queue_by_keyboard_alone(team, browser):
    base, mlist, (first, second, third) = team
    page = log_in(browser, base, "mod@example.org")
    page.goto(f"{base}/lists/{mlist.id}/moderation")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    for _ in range(60):  # tab until the first post's checkbox has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "post_id":
            break
    assert page.evaluate("document.activeElement.value") == str(first)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the subject link
    page.keyboard.press("Tab")  # the row's Approve
    assert page.evaluate("document.activeElement.value") == "approve"
    page.keyboard.press("Tab")  # the row's Reject
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert [status(p) for p in (first, second, third)] == ["rejected", "held", "held"]
    assert page.evaluate("document.activeElement.classList.contains('flash')")  # focus on what happened


LONG_PATTERN = (
    r"(?i)^(re:\s*)*(cheap|discount|free|limited[-_]offer)[-_.]?(watches|pills|loans|casino|crypto|followers|"
    r"replica[-_]bags|seo[-_]services|backlinks|weight[-_]loss|work[-_]from[-_]home|bitcoin[-_]doubler)\b.*$"
)


# How many lines each matching element's text takes (distinct line tops of its text's boxes).
LINES = """selector => [...document.querySelectorAll(selector)].map(element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
})"""


def test_tables_read_on_a_desktop_and_as_cards_on_a_phone(live, browser):
    from app.models import Delivery, FilterRule, Member

    app, base = live
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, *[f"member{n:03}@example.net" for n in range(120)])
    quick_user("owner@example.org", roles={mlist: "owner"})
    post = held_post(mlist, subject="Minutes of the annual general meeting of the association")
    post.status, post.decision, post.decision_reason = (
        PostStatus.DISTRIBUTED,
        "accept",
        "No rule held the post.",
    )
    members = db.session.scalars(
        db.select(Member).where(Member.list_id == mlist.id).order_by(Member.id)
    ).all()
    for n, member in enumerate(members):
        db.session.add(
            Delivery(
                post_id=post.id,
                member_id=member.id,
                recipient=member.email,
                status="sent" if n % 10 else "failed",
            )
        )
    db.session.add(
        FilterRule(
            list_id=mlist.id,
            condition="header",
            header="Subject",
            pattern=LONG_PATTERN,
            action="hold",
            reason="Subjects like this are usually spam from the same sender",
        )
    )
    db.session.commit()
    page = log_in(browser, base, "owner@example.org")
    page.goto(f"{base}/posts/{post.id}")
    assert "1–50 of 120" in page.content()
    assert page.locator("#deliveries tbody tr").count() == 50
    assert (
        "sent 108" in page.locator(".outcomes").inner_text()
        and "failed 12" in page.locator(".outcomes").inner_text()
    )
    assert page.evaluate("getComputedStyle(document.querySelector('td.num')).textAlign") == "right"
    page.click(".pages >> text=3")
    assert "101–120 of 120" in page.content()
    assert "Accepted. No rule held the post." in page.content()
    page.goto(f"{base}/lists/{mlist.id}/posts")
    assert (
        page.evaluate(LINES, "td.nowrap, td .tag, td.id")
        == [1] * page.locator("td.nowrap, td .tag, td.id").count()
    )
    page.goto(f"{base}/lists/{mlist.id}/rules")
    reason = page.locator("td[data-label=Reason]").bounding_box()
    assert reason["width"] > 150  # a long pattern no longer squeezes the Reason column
    shot(page, "rules")

    phone = log_in(browser, base, "owner@example.org", viewport=PHONE)
    phone.goto(f"{base}/lists/{mlist.id}/posts")
    card = phone.locator("tbody tr").first
    for label in ("Received", "From", "Subject", "Status", "Decision"):
        assert card.locator(f"td[data-label={label}]").is_visible(), label
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the phone
    phone.goto(f"{base}/lists/{mlist.id}/rules")
    assert phone.locator("td[data-label=Change] button").first.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "rules-phone")


def test_focus_goes_to_the_errors_after_a_refused_form(live, browser):
    _, base = live
    mlist = make_list("team@example.org", "Team")
    quick_user("owner@example.org", roles={mlist: "owner"})
    page = log_in(browser, base, "owner@example.org")
    page.goto(f"{base}/lists/{mlist.id}/settings")
    page.fill("#hold_days", "999")
    page.fill("#display_name", "")
    with page.expect_navigation():
        page.click("input[type=submit][value='Save settings']")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert page.input_value("#hold_days") == "999"  # the refused value is still there to correct
    page.click(".error-summary a[href='#hold_days']")
    assert page.evaluate("document.activeElement.id") == "hold_days"
