"""Times in the reader's zone, sizes in units people read, pages that name who runs a list and link counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.extensions import db
from app.models import User
from app.panel.chart import DailyFigures, svg_chart
from app.panel.display import human_size, plain
from app.panel.paging import Page
from tests.panel.conftest import held_post


def test_human_sizes():
    assert [human_size(n) for n in (0, 1, 512, 34 * 1024 + 100, 1_300_000, 5 * 1024**3)] == [
        "0 bytes",
        "1 byte",
        "512 bytes",
        "34 KB",
        "1.2 MB",
        "5.0 GB",
    ]


def test_plain_words_for_stored_details():
    assert plain(["reply_to_mode", "emergency"]) == "reply_to_mode, emergency"
    assert plain(False) == "no" and plain({"admin": True}) == "admin: yes"


def test_numbered_pages():
    page = Page.of("2", 291, 50)
    assert page.span == "51–100 of 291" and page.offset == 50
    assert Page.of("99", 291, 50).number == 6 and Page.of("x", 291, 50).number == 1
    assert Page.of("6", 291, 50).links() == [1, None, 4, 5, 6]


def test_times_show_in_the_users_zone(world, browser_for):
    post = held_post(world["a"])
    post.received_at = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
    db.session.commit()
    browser = browser_for("mod@example.org")
    assert "2026-01-15 12:30:00 UTC" in browser.get(f"/moderation/{post.id}").data.decode()
    response = browser.submit("/account/timezone", {"timezone": "Europe/Berlin"})
    assert response.status_code == 302
    assert db.session.get(User, world["users"]["moderator"].id).timezone == "Europe/Berlin"
    body = browser.get(f"/moderation/{post.id}").data.decode()
    assert "2026-01-15 13:30:00 CET" in body and "12:30" not in body
    assert browser.submit("/account/timezone", {"timezone": "Mars/Olympus"}).status_code == 400


def test_the_chart_gives_posts_and_copies_their_own_scales():
    from datetime import date

    days = [date(2026, 1, d) for d in range(1, 15)]
    figures = DailyFigures(days, {"posts": [2] + [0] * 13, "sent": [600] + [0] * 13, "bounces": [0] * 14})
    svg = str(svg_chart(figures))
    heights = {
        key: float(re.search(rf'class="bar-{key}"[^>]*height="([\d.]+)"', svg).group(1))
        for key in ("posts", "sent")
    }
    assert (
        heights["posts"] == heights["sent"] > 100
    )  # 2 posts and 600 copies both reach the top of their scale
    assert ">2</text>" in svg and ">600</text>" in svg


def test_list_overview_names_who_runs_it_and_links_its_counts(world, browser_for):
    body = browser_for("owner@example.org").get(f"/lists/{world['a'].id}").data.decode()
    assert re.search(r"<dt>Owners</dt><dd>owner@example.org</dd>", body)
    assert re.search(r"<dt>Moderators</dt><dd>mod@example.org</dd>", body)
    assert f'href="/lists/{world["a"].id}/members?status=active"' in body
    from app.models import Member

    ann = db.session.scalar(db.select(Member.id).where(Member.email == "ann@example.net"))
    member_page = browser_for("owner@example.org").get(f"/lists/{world['a'].id}/members/{ann}").data.decode()
    assert "← All members" in member_page
