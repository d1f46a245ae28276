"""An owner sets the digest schedule and previews the digest footer, at desktop and phone width."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import MailingList
from tests.browser.test_panel_use import DESKTOP, PHONE, log_in, shot
from tests.panel.conftest import quick_user
from tests.support.factories import make_list


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_owner_schedules_weekly_digests_and_previews_their_footer(live, browser, viewport):
    app, base = live
    mlist = make_list("team@example.org", "Team")
    quick_user("owner@example.org", roles={mlist: "owner"})
    page = log_in(browser, base, "owner@example.org", viewport)
    page.goto(f"{base}/lists/{mlist.id}/settings")
    page.select_option("select[name=digest_frequency]", "weekly")
    page.fill("input[name=digest_hour]", "7")
    shot(page, f"digest-settings-{viewport['width']}")
    with page.expect_navigation():
        page.click("input[name=submit]")
    db.session.expire_all()
    saved = db.session.get(MailingList, mlist.id)
    assert (saved.digest_frequency, saved.digest_hour) == ("weekly", 7)

    page.goto(f"{base}/lists/{mlist.id}/templates")
    page.fill("textarea[name=digest_footer_template]", "Your digest settings: {{ manage_url }}")
    with page.expect_navigation():
        page.click("input[name=preview]")
    preview = page.inner_text("#digest-preview")
    assert "Your digest settings: " + base + "/manage/" in preview
    shot(page, f"digest-templates-{viewport['width']}")
    page.close()
