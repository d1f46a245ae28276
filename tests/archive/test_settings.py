"""The archive settings on the panel's list settings form, with the form's validation."""

from __future__ import annotations

from app.extensions import db
from app.models import MailingList
from tests.panel.conftest import Browser, quick_user
from tests.support.factories import make_list


def test_owner_sets_the_archive_policy_and_a_bad_one_is_a_form_error(client):
    mlist = make_list("team@example.org", "Team")
    assert mlist.archive_policy == "private" and mlist.archive_obfuscate is True
    quick_user("owner@example.org", roles={mlist: "owner"})
    browser = Browser(client)
    browser.login("owner@example.org")
    page = f"/lists/{mlist.id}/settings"
    assert "Who may read the archive" in browser.get(page).get_data(as_text=True)
    form = {"display_name": "Team", "archive_policy": "public", "hold_days": "14"}
    assert browser.submit(page, form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(MailingList, mlist.id)
    assert saved.archive_policy == "public" and saved.archive_obfuscate is False  # an unticked box
    response = browser.submit(page, {**form, "archive_policy": "everyone"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert 'href="/archive/team@example.org/"' in browser.get(f"/lists/{mlist.id}").get_data(as_text=True)
