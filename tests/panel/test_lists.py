"""Lists: create, grouped settings with errors on the form, sandboxed templates with preview, rules, delete."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, FilterRule, MailingList, Member


def test_admin_creates_a_list_and_bad_addresses_are_form_errors(world, browser_for):
    browser = browser_for("admin@example.org")
    response = browser.submit("/lists/new", {"address": "news@Example.ORG", "display_name": "News"})
    assert response.status_code == 302
    created = db.session.scalar(select(MailingList).where(MailingList.local_part == "news"))
    assert created.domain == "example.org" and created.display_name == "News"
    for bad, says in (
        ("not an address", "not"),
        ("news@example.org", "already exists"),
        ("news-owner@example.org", "role suffix"),
    ):
        response = browser.submit("/lists/new", {"address": bad})
        assert response.status_code == 400 and says in response.data.decode(), bad


def test_settings_save_every_group_and_report_bad_values(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    good = {
        "display_name": "Alpha Team",
        "description": "Talk.",
        "subscription_policy": "moderate",
        "posting_policy": "members",
        "nonmember_action": "reject",
        "emergency": "y",
        "hold_days": "7",
        "subject_prefix": "[alpha]\r\nBcc: x@example.com",
        "reply_to_mode": "list",
        "reply_to_address": "",
        "dmarc_mode": "always",
        "max_message_size": "500000",
    }
    with_password = {**good, "moderator_password": "approved secret"}
    assert browser.submit(f"/lists/{a.id}/settings", with_password).status_code == 302
    db.session.expire_all()
    a = db.session.get(MailingList, a.id)
    assert (a.subscription_policy, a.nonmember_action, a.emergency, a.hold_days, a.dmarc_mode) == (
        "moderate",
        "reject",
        True,
        7,
        "always",
    )
    assert a.subject_prefix == "[alpha] Bcc: x@example.com"  # no line break can reach a header
    bad = {**good, "hold_days": "zero", "reply_to_mode": "explicit", "posting_policy": "anyone"}
    response = browser.submit(f"/lists/{a.id}/settings", bad)
    assert response.status_code == 400
    body = response.data.decode()
    assert "A whole number from 1 to 365, not &#39;zero&#39;." in body
    assert "One of open|members|moderated|announce, not &#39;anyone&#39;." in body
    assert "An address, since reply_to_mode is explicit." in body
    assert db.session.get(MailingList, a.id).hold_days == 7  # nothing of the bad form was saved
    stored = db.session.get(MailingList, a.id).moderator_password_hash
    assert stored and "approved secret" not in body and stored not in body
    assert browser.submit(f"/lists/{a.id}/settings", good).status_code == 302  # empty: the password stays
    db.session.expire_all()
    assert db.session.get(MailingList, a.id).moderator_password_hash == stored
    cleared = {**good, "moderator_password_clear": "y"}
    assert browser.submit(f"/lists/{a.id}/settings", cleared).status_code == 302
    db.session.expire_all()
    assert db.session.get(MailingList, a.id).moderator_password_hash == ""
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "list.settings"))
    assert "emergency" in audit.details["changed"]


def test_templates_validate_in_the_sandbox_and_preview_for_a_sample_member(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    page = f"/lists/{a.id}/templates"
    response = browser.submit(
        page,
        {
            "header_template": "Hi {{ member_name }}",
            "footer_template": "Leave: {{ unsubscribe_url }}",
            "preview": "Preview",
        },
    )
    body = response.data.decode()
    assert response.status_code == 200 and "Hi Sam Sample" in body
    assert "Leave: https://lists.example.org/unsubscribe/SAMPLE-TOKEN" in body
    assert db.session.get(MailingList, a.id).footer_template == ""  # preview does not save
    for broken, says in (
        ("{{ member_name ", "unexpected end"),
        ("{{ nope }}", "unknown variables"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ):
        response = browser.submit(page, {"header_template": broken, "footer_template": "", "submit": "Save"})
        assert response.status_code == 400 and says in response.data.decode().lower(), broken
    assert (
        browser.submit(
            page, {"header_template": "", "footer_template": "Bye {{ member_email }}", "submit": "Save"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(MailingList, a.id).footer_template == "Bye {{ member_email }}"


def test_filter_rules_are_ordered_and_validated(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    page = f"/lists/{a.id}/rules"
    for rule in (
        {"condition": "header", "header": "X-Spam-Flag", "pattern": "^YES", "action": "discard"},
        {"condition": "size", "pattern": "100000", "action": "hold", "reason": "Too big"},
        {"condition": "mime_type", "pattern": "application/zip", "action": "reject"},
        {"condition": "spam", "pattern": "", "action": "hold"},  # the pattern is optional for spam
    ):
        assert browser.submit(page, rule).status_code == 302
    for bad in (
        {"condition": "sender", "pattern": "([", "action": "hold"},
        {"condition": "header", "header": "", "pattern": "x", "action": "hold"},
        {"condition": "size", "pattern": "big", "action": "hold"},
        {"condition": "header", "header": "X" * 256, "pattern": "x", "action": "hold"},
        {"condition": "header", "header": "X-Ok", "pattern": "x", "action": "explode"},
    ):
        assert browser.submit(page, bad).status_code == 400
    ids = db.session.scalars(select(FilterRule.id).order_by(FilterRule.position)).all()
    browser.submit(page, {}, action=f"/lists/{a.id}/rules/{ids[3]}/delete")
    browser.submit(page, {}, action=f"/lists/{a.id}/rules/{ids[2]}/up")
    browser.submit(page, {}, action=f"/lists/{a.id}/rules/{ids[0]}/delete")
    db.session.expire_all()
    rows = db.session.execute(
        select(FilterRule.condition, FilterRule.position).order_by(FilterRule.position)
    ).all()
    assert rows == [("mime_type", 1), ("size", 2)]


def test_delete_needs_the_address_typed(world, browser_for):
    a = world["a"]
    browser = browser_for("admin@example.org")
    browser.submit(f"/lists/{a.id}/delete", {"address": "wrong@example.org"})
    assert db.session.get(MailingList, a.id) is not None
    assert browser.submit(f"/lists/{a.id}/delete", {"address": "alpha@example.org"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MailingList, a.id) is None
    assert db.session.scalars(select(Member.email).where(Member.list_id == a.id)).all() == []
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "list.delete")).details["address"]
        == "alpha@example.org"
    )
