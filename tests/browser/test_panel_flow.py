"""The whole flow in Debian's chromium: log in, create a list, add members, moderate real SMTP posts,
subscribe through the public page, and unsubscribe with one plain POST (RFC 8058)."""

from __future__ import annotations

import re
import urllib.request
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from app.extensions import db
from app.models import Member, MemberStatus, Post, PostStatus
from tests.browser.conftest import SCREENSHOTS
from tests.support.factories import make_user, message
from tests.support.stack import drain, receiver, send

ADMIN, PASSWORD = "admin@example.org", "correct horse battery"
LIST = "team@example.org"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def press(page, label: str) -> None:
    """Click the submit button labelled label and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(f"input[type=submit][value='{label}'], button:text-is('{label}')")


def _status(post_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Post, post_id).status


def _log_in_and_create_list(page, base: str) -> None:
    page.goto(f"{base}/moderation")
    assert "/login?next=" in page.url  # sent to log in first, with next= kept
    shot(page, "login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    press(page, "Log in")
    page.goto(f"{base}/lists/new")
    page.fill("input[name=address]", LIST)
    page.fill("input[name=display_name]", "Team")
    press(page, "Create list")
    assert page.url.endswith("/settings")
    page.select_option("select[name=nonmember_action]", "hold")
    page.fill("input[name=subject_prefix]", "[team]")
    page.select_option("select[name=subscription_policy]", "confirm")
    shot(page, "list-settings")
    press(page, "Save settings")
    assert "Settings saved." in page.content()


def _add_members(page, app) -> None:
    page.click("nav.tabs >> text=Members")
    page.fill("input[name=address]", "Ann Example <ann@example.net>")
    press(page, "Add")
    assert "Added ann@example.net." in page.content()
    page.click("text=Paste many")
    page.fill("textarea[name=lines]", "Bob <bob@example.net>\ncyd@example.com\nnot-an-address\n")
    press(page, "Add them")
    assert "could not be used" in page.content() and "not-an-address" in page.content()
    page.click("nav.tabs >> text=Members")
    page.click("text=Import CSV")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "people.csv",
                "mimeType": "text/csv",
                "buffer": b"email,name\neve@example.org,Eve\nbroken\n",
            }
        ],
    )
    press(page, "Import")
    assert page.locator("#import-progress").get_attribute("value") == "0"
    drain(app)  # the RQ worker runs the import; the page's script sees it finish and reloads
    page.wait_for_selector("text=Lines that could not be used")
    assert page.locator("#import-progress").get_attribute("value") == "100"
    shot(page, "member-import")
    page.click("nav.tabs >> text=Members")
    shot(page, "members")


def _post(app, port: int, subject: str) -> int:
    raw = message(sender="Stranger <stranger@example.com>", to=LIST, subject=subject, body="Please read.\n")
    with receiver(app, port):
        assert send(port, "stranger@example.com", [LIST], raw) == {}
    drain(app)
    post_id = db.session.scalar(select(Post.id).where(Post.subject == subject))
    assert _status(post_id) == PostStatus.HELD
    return post_id


def test_the_panel_end_to_end(live, browser, sink, smtpd_port):
    app, base = live
    _, inbox = sink
    make_user(ADMIN, PASSWORD, admin=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    _log_in_and_create_list(page, base)
    _add_members(page, app)

    # A nonmember posts through the real receiver; a real RQ worker holds it; the queue shows why.
    first = _post(app, smtpd_port, "<img src=x onerror=alert(1)> Meeting notes")
    page.goto(f"{base}/moderation")
    assert page.locator("span.badge").inner_text() == "1"
    assert "is not a member of the list" in page.content()
    assert page.locator("img").count() == 0  # the subject is text, not markup
    shot(page, "moderation-queue")
    page.click("text=Meeting notes")
    shot(page, "held-post")
    with page.expect_navigation():
        page.click("button[value=approve]")
    assert _status(first) == PostStatus.RECEIVED
    drain(app)
    assert _status(first) == PostStatus.DISTRIBUTED
    copies = inbox.by_rcpt()
    assert sorted(copies) == ["ann@example.net", "bob@example.net", "cyd@example.com", "eve@example.org"]
    copy = message_from_bytes(copies["ann@example.net"][0].data, policy=default)
    assert "Meeting notes" in copy["Subject"] and "team.example.org" in copy["List-Id"]

    # Another one is rejected with a canned reason; the sender gets the notice.
    second = _post(app, smtpd_port, "Cheap watches")
    page.goto(f"{base}/moderation/{second}")
    page.select_option("select[name=reason]", "off-topic")
    with page.expect_navigation():
        page.click("button[value=reject]")
    assert _status(second) == PostStatus.REJECTED
    notice = inbox.by_rcpt()["stranger@example.com"][0]
    assert "off-topic" in message_from_bytes(notice.data, policy=default).get_content()

    _pages_for_the_record(page, base, first)
    assert not [text for text in console if "Content Security Policy" in text], console
    _subscribe_and_confirm(browser, base, inbox)
    _one_click_unsubscribe(copy)


def _pages_for_the_record(page, base: str, post_id: int) -> None:
    page.goto(f"{base}/posts/{post_id}")
    assert "distributed" in page.content() and "sent 4" in page.content()
    shot(page, "post-log")
    page.goto(f"{base}/")
    shot(page, "dashboard")
    page.goto(f"{base}/audit")
    assert "post.approve" in page.content() and "post.reject" in page.content()
    shot(page, "audit-log")
    from app.lists.lookup import find_list

    page.goto(f"{base}/lists/{find_list(LIST).id}/templates")
    page.fill("textarea[name=header_template]", "{{ oops")
    page.wait_for_selector("#templates-form .error")  # live: no button pressed
    page.fill("textarea[name=header_template]", "")
    page.fill(
        "textarea[name=footer_template]", "You get this as {{ member_email }}.\nLeave: {{ unsubscribe_url }}"
    )
    page.wait_for_selector("#templates-preview >> text=You get this as sam.sample@example.net.")
    assert page.locator("#templates-form .error").count() == 0
    shot(page, "templates-preview")
    page.goto(f"{base}/users/")
    shot(page, "users")


def _subscribe_and_confirm(browser, base: str, inbox) -> None:
    visitor = browser.new_page(viewport={"width": 420, "height": 800})  # a phone-sized screen, no session
    visitor.set_default_timeout(10_000)
    visitor.goto(f"{base}/subscribe/{LIST}")
    shot(visitor, "public-subscribe")
    visitor.fill("input[name=email]", "dee@example.net")
    press(visitor, "Subscribe")
    assert "Check your mail" in visitor.content()
    mail = inbox.by_rcpt()["dee@example.net"][0]
    link = re.search(
        r"http://127\.0\.0\.1:\d+/confirm/\w+", message_from_bytes(mail.data, policy=default).get_content()
    ).group(0)
    visitor.goto(link)
    press(visitor, "Confirm")
    assert "You are subscribed" in visitor.content()
    db.session.expire_all()
    assert (
        db.session.scalar(select(Member.status).where(Member.email == "dee@example.net"))
        == MemberStatus.ACTIVE
    )


def _one_click_unsubscribe(copy) -> None:
    url = re.search(r"<(http[^>]+)>", copy["List-Unsubscribe"]).group(1)
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    request = urllib.request.Request(
        url,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # no cookies, no CSRF token: RFC 8058
        assert response.status == 200
    db.session.expire_all()
    assert (
        db.session.scalar(select(Member.status).where(Member.email == "ann@example.net"))
        == MemberStatus.UNSUBSCRIBED
    )
