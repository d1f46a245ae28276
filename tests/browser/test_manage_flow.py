"""The member's own page in Debian's chromium: ask for the link on /manage, follow the mailed link, switch
one list to a digest, go on vacation, leave another list; readable at phone width."""

from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from app.extensions import db
from app.models import Member
from tests.browser.conftest import SCREENSHOTS
from tests.support.factories import make_list, make_members

PAT = "pat@example.net"


def _mailed_link(handler) -> str:
    (mail,) = [message_from_bytes(m.data, policy=default) for m in handler.messages if m.rcpt_tos == [PAT]]
    return re.search(r"(http://127\.0\.0\.1:\d+/manage/\S+)", mail.get_content()).group(1)


def _member(address: str) -> Member:
    db.session.expire_all()
    return db.session.scalar(
        select(Member)
        .join(Member.mailing_list)
        .where(Member.email == PAT)
        .where(Member.mailing_list.has(local_part=address.partition("@")[0]))
    )


def _fits(page, width: int) -> None:
    wide = page.evaluate(
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width + 1})"
        ".map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def test_request_follow_digest_vacation_and_leave(live, browser, sink):
    app, base = live
    _, handler = sink
    for address, name in (("news@example.org", "News"), ("talk@example.org", "Talk")):
        make_members(make_list(address, name), PAT)
    make_list("open-house@example.org", "Open house", subscription_policy="open")
    page = browser.new_page()
    page.goto(f"{base}/manage")
    page.fill("input[name=email]", PAT)
    page.click("text=Mail me a link")
    assert "Check your mail" in page.content()

    page.goto(_mailed_link(handler))
    news = page.locator("#list-%d" % _member("news@example.org").list_id)
    news.locator("select[name=delivery]").select_option("mime_digest")
    news.locator("input[name=vacation_until]").fill("2031-07-01")
    news.locator("button:text-is('Save')").click()
    assert "Saved News." in page.content()
    member = _member("news@example.org")
    assert (member.delivery_mode, member.vacation_until) == ("mime_digest", date(2031, 7, 1))

    talk = page.locator("#list-%d" % _member("talk@example.org").list_id)
    talk.locator("text=Unsubscribe from Talk").click()
    assert "You left Talk." in page.content()
    assert _member("talk@example.org").status == "unsubscribed"
    assert page.locator("text=Join Open house").count() == 1

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "manage-desktop.png"), full_page=True)
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(page.url)
    _fits(phone, 390)
    phone.screenshot(path=str(SCREENSHOTS / "manage-phone.png"), full_page=True)
