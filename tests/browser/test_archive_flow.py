"""The archive in Debian's chromium: month → thread → message → attachment, a search, a phone-sized page,
and a members-only archive that refuses a stranger and admits a member's mailed link."""

from __future__ import annotations

import re

from app.extensions import db
from tests.archive.support import mail
from tests.browser.conftest import SCREENSHOTS
from tests.support.factories import make_list, make_members
from tests.support.smtp import free_port
from tests.support.stack import drain, receiver, send

LINK = re.compile(rb"(http://127\.0\.0\.1:\d+/archive/club@example\.org/access/[0-9]+\.[A-Za-z0-9_-]+)")


def _post_all(app, raws: list[bytes], to: str) -> None:
    port = free_port()
    with receiver(app, port):
        for raw in raws:
            assert send(port, "alice@example.org", [to], raw) == {}
    drain(app)


def test_reader_walks_month_thread_message_attachment_and_searches(live, browser, sink):
    app, base = live
    mlist = make_list("team@example.org", "Team", posting_policy="open", archive_policy="public")
    make_members(mlist, "ann@example.net")
    _post_all(app, [
        mail("Boat trip", "Who brings the paddles?\n", "boat@example.org", date="Tue, 03 Mar 2026 10:00:00 +0000"),
        mail("Re: Boat trip", "> Who brings the paddles?\nI do, and the lifejackets.\n", "boat2@example.org",
             date="Tue, 03 Mar 2026 12:00:00 +0000", reply_to="boat@example.org",
             attachment=("../../map of the lake.pdf", b"%PDF-1.4 not really")),
    ], "team@example.org")  # fmt: skip
    page = browser.new_page()
    page.goto(f"{base}/archive/team@example.org")
    page.click("text=2026-03")
    page.click("text=Boat trip")
    assert "2 messages in this thread" in page.content()
    page.click("a:text-is('Re: [Team] Boat trip'), a:text-is('Re: Boat trip')")
    assert "lifejackets" in page.content()
    assert page.locator("details.quote").count() == 0 and page.locator("pre.quote").count() == 1
    with page.expect_download() as download_info:
        page.click("text=map of the lake.pdf")
    download = download_info.value
    assert download.suggested_filename == "map of the lake.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == b"%PDF-1.4 not really"
    page.fill("input[name=q]", "lifejackets")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("mark")
    assert page.locator("mark").first.inner_text().lower() == "lifejackets"
    page.click("ol.hits a")
    assert "/m/boat2@example.org" in page.url
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(page.url)
    wide = phone.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "archive-message-phone.png"), full_page=True)


def test_members_only_archive_refuses_a_stranger_and_admits_a_members_link(live, browser, sink):
    app, base = live
    _, handler = sink
    mlist = make_list("club@example.org", "Club", posting_policy="open", archive_policy="members")
    make_members(mlist, "ann@example.net")
    _post_all(
        app,
        [mail("Club news", "The secret handshake changed.\n", "club1@example.org", to="club@example.org")],
        "club@example.org",
    )
    handler.messages.clear()
    stranger = browser.new_page()
    response = stranger.goto(f"{base}/archive/club@example.org/m/club1@example.org")
    assert response.status == 403 and "handshake" not in stranger.content()
    stranger.fill("input[name=email]", "ann@example.net")
    with stranger.expect_navigation():
        stranger.click("input[type=submit][value='Mail me a link']")
    assert "If that address is a member" in stranger.content()
    [notice] = handler.messages
    link = LINK.search(notice.data.replace(b"=\r\n", b"")).group(1).decode()
    member = browser.new_context().new_page()  # another browser: nothing but the link
    member.goto(link)
    assert member.url.rstrip("/").endswith("/archive/club@example.org")
    member.goto(f"{base}/archive/club@example.org/m/club1@example.org")
    assert "secret handshake" in member.content()
    db.session.remove()
