"""axe-core on every panel and public page, logged in and out, at desktop and phone size: no critical or
serious violation. axe-core is vendored under tests/browser/vendor/axe-core (MPL-2.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import AuditEntry, Delivery, FilterRule, Member, PostStatus
from app.pipeline.personalise import unsubscribe_url
from tests.browser.test_panel_use import DESKTOP, PHONE, shot
from tests.panel.conftest import PASSWORD, held_post, quick_user
from tests.support.factories import make_list, make_members

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def site(live):
    """A list with members, a held and a distributed post, a rule, an audit entry; an admin and a moderator."""
    app, base = live
    mlist = make_list("team@example.org", "Team", description="Talk about the team.")
    make_members(mlist, "ann@example.net", "bob@example.net")
    quick_user("admin@example.org", admin=True)
    quick_user("mod@example.org", roles={mlist: "moderator"})
    held = held_post(mlist, subject="Please hold me")
    sent = held_post(mlist, subject="Sent already")
    sent.status, sent.decision, sent.decision_reason = (
        PostStatus.DISTRIBUTED,
        "accept",
        "No rule held the post.",
    )
    member = db.session.scalar(db.select(Member).where(Member.email == "ann@example.net"))
    db.session.add(Delivery(post_id=sent.id, member_id=member.id, recipient=member.email, status="sent"))
    db.session.add(
        FilterRule(list_id=mlist.id, condition="header", header="X-Spam", pattern="yes", action="hold")
    )
    db.session.add(
        AuditEntry(action="list.settings", actor="admin@example.org", list_id=mlist.id, details={})
    )
    db.session.commit()
    return {"base": base, "list": mlist.id, "held": held.id, "sent": sent.id, "member": member.id}


def panel_pages(site: dict) -> list[str]:
    list_id = site["list"]
    return [
        "/",
        "/moderation",
        f"/lists/{list_id}",
        f"/lists/{list_id}/moderation",
        f"/moderation/{site['held']}",
        f"/lists/{list_id}/posts",
        f"/posts/{site['sent']}",
        f"/lists/{list_id}/figures",
        f"/lists/{list_id}/members",
        f"/lists/{list_id}/members/{site['member']}",
        f"/lists/{list_id}/members/paste",
        f"/lists/{list_id}/members/import",
        f"/lists/{list_id}/settings",
        f"/lists/{list_id}/templates",
        f"/lists/{list_id}/rules",
        f"/lists/{list_id}/delete",
        "/lists/new",
        "/users/",
        "/users/1",
        "/audit",
        "/account/password",
        "/lists/999999",
    ]


def public_pages(site: dict) -> list[str]:
    return [
        "/login",
        "/subscribe/team@example.org",
        "/subscribe/nosuch@example.org",
        "/confirm/nosuchtoken",
        unsubscribe_url(site["member"]).removeprefix(site["base"]),
        "/unsubscribe/damaged",
    ]


def violations(page, url: str) -> list[str]:
    page.goto(url)
    page.evaluate(AXE.read_text())
    found = page.evaluate(RUN_AXE)
    return [
        f"{url}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button:text-is('Log in'), input[type=submit][value='Log in']")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_accessibility_violation_on_any_page(site, browser, viewport):
    base = site["base"]
    problems: list[str] = []
    visitor = _page(browser, viewport)
    for path in public_pages(site):
        problems += violations(visitor, base + path)
    admin = _page(browser, viewport)
    _log_in(admin, base, "admin@example.org")
    for path in panel_pages(site):
        problems += violations(admin, base + path)
    moderator = _page(browser, viewport)
    _log_in(moderator, base, "mod@example.org")
    for path in ("/", f"/lists/{site['list']}/moderation", f"/lists/{site['list']}/settings"):
        problems += violations(moderator, base + path)
    assert problems == [], "\n".join(problems)


PHONE_SHOTS = {
    "/": "dashboard",
    "/lists/{list}/moderation": "moderation-queue",
    "/moderation/{held}": "held-post",
    "/posts/{sent}": "post-log",
    "/lists/{list}/members": "members",
    "/lists/{list}/settings": "list-settings",
    "/lists/{list}": "list-overview",
}


def test_every_page_fits_a_phone_and_a_desktop(site, browser):
    """Nothing is wider than the screen (no sideways scrolling) on any panel page, at 390 px and at 1280 px."""
    base = site["base"]
    too_wide = []
    for viewport in (PHONE, DESKTOP):
        admin = _page(browser, viewport)
        _log_in(admin, base, "admin@example.org")
        for path in panel_pages(site):
            admin.goto(base + path)
            width = admin.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                too_wide.append(f"{path} at {viewport['width']}: {width}px")
    for path, name in PHONE_SHOTS.items():
        admin = _page(browser, PHONE) if path == "/" else admin
        if path == "/":
            _log_in(admin, base, "admin@example.org")
        admin.goto(base + path.format(**site))
        shot(admin, f"{name}-phone")
    assert too_wide == []
