"""`mailflow lists list|show|set|delete` through the console script, and the settings registry behind them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.lists.settings import SETTINGS, SettingsError, list_settings, update_list_settings
from app.models import AuditEntry, MailingList, Member
from app.models.audit import CLI
from tests.support.factories import make_list, make_members


def test_list_prints_one_address_a_line(console):
    make_list("zeta@example.org")
    make_list("alpha@example.org")
    result = console("lists", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["alpha@example.org", "zeta@example.org"]


def test_show_prints_every_setting_as_one_json_object_and_set_takes_those_keys(console):
    mlist = make_list("team@example.org", hold_days=9)
    shown = json.loads(console("lists", "show", "Team@Example.org").stdout)
    assert set(shown) == {s.key for s in SETTINGS} and shown["hold_days"] == 9
    result = console(
        "lists",
        "set",
        "team@example.org",
        "hold_days=30",
        "emergency=yes",
        "subject_prefix=[team]  news",
        "posting_policy=MODERATED",
        "footer_template=Leave: {{ unsubscribe_url }}",
    )
    assert result.returncode == 0, result.stderr
    assert "changed" in result.stdout and "hold_days" in result.stdout
    after = json.loads(console("lists", "show", "team@example.org").stdout)
    assert after == {
        **shown,
        "hold_days": 30,
        "emergency": True,
        "subject_prefix": "[team] news",
        "posting_policy": "moderated",
        "footer_template": "Leave: {{ unsubscribe_url }}",
    }
    assert db.session.get(MailingList, mlist.id).hold_days == 30
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "list.settings"))
    assert audit.actor == "cli" and "emergency" in audit.details["changed"]


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ("colour=blue", "colour: unknown key"),
        ("hold_days=0", "hold_days: a whole number from 1 to 365, not '0'"),
        ("emergency=maybe", "emergency: true or false"),
        ("posting_policy=anyone", "posting_policy: one of open|members|moderated|announce"),
        ("reply_to_mode=explicit", "reply_to_address: an address"),
        ("footer_template={{ secret }}", "footer_template: Unknown variables: secret"),
        ("hold_days", "'hold_days': write KEY=VALUE"),
        ("bounce_threshold=0.3", "bounce_threshold: a score from 0.5 to 1000 in steps of 0.5, or empty for"),
        ("bounce_warning_threshold=few", "bounce_warning_threshold: a score from 0 to 1000"),
    ],
)
def test_set_a_bad_key_or_value_says_which_in_one_line_exits_2_and_changes_nothing(console, assignment, says):
    mlist = make_list("team@example.org")
    before = list_settings(mlist)
    result = console("lists", "set", "team@example.org", "display_name=Changed", assignment)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert list_settings(db.session.get(MailingList, mlist.id)) == before


def test_bounce_thresholds_per_list_and_empty_for_the_instance_default(console):
    mlist = make_list("team@example.org")
    result = console("lists", "set", "team@example.org", "bounce_threshold=2.5", "bounce_warning_threshold=1")
    assert result.returncode == 0, result.stderr
    shown = json.loads(console("lists", "show", "team@example.org").stdout)
    assert (shown["bounce_threshold"], shown["bounce_warning_threshold"]) == (2.5, 1.0)
    assert console("lists", "set", "team@example.org", "bounce_threshold=").returncode == 0
    db.session.expire_all()
    assert db.session.get(MailingList, mlist.id).bounce_threshold is None  # MAILFLOW_BOUNCE_THRESHOLD again


def test_moderator_password_is_write_only(console):
    mlist = make_list("team@example.org")
    assert console("lists", "set", "team@example.org", "moderator_password=short").returncode == 2
    result = console("lists", "set", "team@example.org", "moderator_password=long enough secret")
    assert result.returncode == 0, result.stderr
    stored = db.session.get(MailingList, mlist.id).moderator_password_hash
    shown = console("lists", "show", "team@example.org").stdout
    assert json.loads(shown)["moderator_password"] is True
    assert stored and stored not in shown and "long enough secret" not in shown + result.stdout
    console("lists", "set", "team@example.org", "moderator_password=")
    assert db.session.get(MailingList, mlist.id).moderator_password_hash == ""


def test_delete_needs_yes_and_takes_members_with_it(console):
    mlist = make_list("team@example.org")
    make_members(mlist, "ann@example.net")
    refused = console("lists", "delete", "team@example.org")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert db.session.get(MailingList, mlist.id) is not None
    result = console("lists", "delete", "team@example.org", "--yes")
    assert result.returncode == 0 and "deleted list team@example.org" in result.stdout
    assert db.session.scalar(select(MailingList)) is None and db.session.scalar(select(Member)) is None
    assert console("lists", "show", "team@example.org").returncode == 2


def test_update_checks_every_key_before_changing_any(app):
    mlist = make_list("team@example.org")
    with pytest.raises(SettingsError) as raised:
        update_list_settings(mlist, {"hold_days": "3", "max_recipients": "-1", "nope": "x"}, CLI)
    assert set(raised.value.problems) == {"max_recipients", "nope"}
    db.session.expire_all()
    assert db.session.get(MailingList, mlist.id).hold_days == 14
    assert update_list_settings(mlist, {"hold_days": "3", "max_recipients": "0"}, CLI) == [
        "hold_days",
        "max_recipients",
    ]
    assert update_list_settings(mlist, {"hold_days": "3"}, CLI) == []
