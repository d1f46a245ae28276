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
    assert response.status_code == 400 and "One of none|private|members|public" in response.get_data(
        as_text=True
    )
    assert 'href="/archive/team@example.org/"' in browser.get(f"/lists/{mlist.id}").get_data(as_text=True)


def test_lists_set_and_show_take_the_archive_keys(app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.cli import cli
    from app.commands import register

    register(cli)
    make_list("team@example.org", "Team")

    def mailflow(*args: str):
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    assert (
        mailflow(
            "lists", "set", "team@example.org", "archive_policy=members", "archive_obfuscate=false"
        ).exit_code
        == 0
    )
    shown = mailflow("lists", "show", "team@example.org")
    assert '"archive_policy": "members"' in shown.output and '"archive_obfuscate": false' in shown.output
    bad = mailflow("lists", "set", "team@example.org", "archive_policy=everyone")
    assert bad.exit_code == 2 and "archive_policy" in bad.output
    db.session.expire_all()
    assert db.session.scalar(db.select(MailingList.archive_policy)) == "members"
