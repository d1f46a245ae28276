"""The Requests tab in chromium: approve one, deny one with a reason (mailed to the requester), bulk approve."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from app.extensions import db
from app.models import Member, MemberStatus, PendingAction, SubscriptionPolicy
from tests.browser.test_panel_use import DESKTOP, PHONE, log_in, shot
from tests.panel.conftest import quick_user
from tests.support.factories import make_list

ASKING = ("ann@example.net", "bob@example.net", "cy@example.net", "di@example.net")


def status_of(email: str) -> str | None:
    db.session.expire_all()
    member = db.session.scalar(select(Member).where(Member.email == email))
    return member.status if member is not None else None


def test_approve_deny_with_a_reason_and_bulk_approve(live, browser, sink):
    _, base = live
    mlist = make_list("team@example.org", "Team", subscription_policy=SubscriptionPolicy.MODERATE)
    quick_user("mod@example.org", roles={mlist: "moderator"})
    for email in ASKING:
        db.session.add(
            Member(list_id=mlist.id, email=email, status=MemberStatus.PENDING, pending=PendingAction.APPROVAL)
        )
    db.session.commit()
    page = log_in(browser, base, "mod@example.org")
    assert page.locator("nav[aria-label=Main] a:has-text('Requests') .badge").inner_text() == "4"
    page.goto(f"{base}/lists/{mlist.id}/requests")
    shot(page, "requests-desktop")
    with page.expect_navigation():
        page.click("#request-{} button[value=approve]".format(_id("ann@example.net")))
    assert status_of("ann@example.net") == MemberStatus.ACTIVE
    page.fill("#reason", "Staff only, sorry.")
    with page.expect_navigation():
        page.click("#request-{} button[value=deny]".format(_id("bob@example.net")))
    assert status_of("bob@example.net") is None
    told = [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt()["bob@example.net"]]
    assert "Staff only, sorry." in told[-1].get_content()
    page.check("#request-{} input[name=member_id]".format(_id("cy@example.net")))
    page.check("#request-{} input[name=member_id]".format(_id("di@example.net")))
    with page.expect_navigation():
        page.click("fieldset.bulk button[value=approve]")
    assert status_of("cy@example.net") == status_of("di@example.net") == MemberStatus.ACTIVE
    assert "Approved 2 request(s)." in page.locator(".flash-ok").inner_text()
    assert page.locator("nav[aria-label=Main] a:has-text('Requests') .badge").count() == 0


def _id(email: str) -> int:
    return db.session.scalar(select(Member.id).where(Member.email == email))


def test_the_requests_tab_on_a_phone(live, browser):
    _, base = live
    mlist = make_list("team@example.org", "Team", subscription_policy=SubscriptionPolicy.MODERATE)
    quick_user("mod@example.org", roles={mlist: "moderator"})
    db.session.add(
        Member(list_id=mlist.id, email="ann@example.net", status="pending", pending=PendingAction.APPROVAL)
    )
    db.session.commit()
    page = log_in(browser, base, "mod@example.org", viewport=PHONE)
    page.goto(f"{base}/requests")
    shot(page, "requests-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] and DESKTOP
    page.goto(f"{base}/account/notices")
    shot(page, "notices-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
