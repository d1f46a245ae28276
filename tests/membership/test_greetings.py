"""Welcome and goodbye mail from the list's templates; bulk adds silently, with a welcome, or by invitation."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from app.cli import cli
from app.commands import register
from app.extensions import db
from app.lists.registry import SettingsError
from app.lists.settings import update_list_settings
from app.membership.bulk_add import AddMode, add_by_mode
from app.membership.lines import Entry
from app.membership.subscriptions import Result, confirm, request_subscription, unsubscribe
from app.models import Member, MemberStatus
from app.models.audit import CLI
from tests.support.factories import make_list, make_members

register(cli)
WELCOME = "Hello {{ member_name or member_email }}, welcome to {{ list_name }}.\nManage: {{ manage_url }}"


@pytest.fixture
def settings(settings, sink):
    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


def mails(sink, rcpt: str) -> list:
    return [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt().get(rcpt, [])]


def member(email: str) -> Member:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.email == email))


@pytest.fixture
def greeting_list(app):
    mlist = make_list("news@example.org", "News", subscription_policy="open")
    update_list_settings(
        mlist, {"welcome_template": WELCOME, "goodbye_template": "Goodbye from {{ list_name }}."}, CLI
    )
    return mlist


def test_welcome_on_joining_and_goodbye_on_leaving(app, sink, greeting_list):
    result, joined = request_subscription(greeting_list, "ann@example.net", "Ann")
    assert result == Result.SUBSCRIBED
    (welcome,) = mails(sink, "ann@example.net")
    assert welcome["Subject"] == "Welcome to News" and welcome["Auto-Submitted"] == "auto-generated"
    assert "Hello Ann, welcome to News." in welcome.get_content()
    assert "https://lists.example.org/manage/" in welcome.get_content()
    unsubscribe(joined)
    assert mails(sink, "ann@example.net")[-1].get_content().strip() == "Goodbye from News."


def test_no_template_no_mail_and_a_bad_template_is_refused(app, sink):
    mlist = make_list("quiet@example.org", "Quiet", subscription_policy="open")
    request_subscription(mlist, "ann@example.net")
    assert mails(sink, "ann@example.net") == []
    with pytest.raises(SettingsError, match="welcome_template"):
        update_list_settings(mlist, {"welcome_template": "{{ secret_key }}"}, CLI)
    with pytest.raises(SettingsError, match="goodbye_template"):
        update_list_settings(mlist, {"goodbye_template": "{% for %}"}, CLI)


def test_bulk_add_silently_or_with_a_welcome_for_the_new_ones_only(app, sink, greeting_list):
    make_members(greeting_list, "old@example.net")
    entries = [Entry("old@example.net", ""), Entry("a@example.net", ""), Entry("b@example.net", "")]
    assert add_by_mode(greeting_list, entries[:2], AddMode.SILENT) == (1, 1)
    assert sink[1].messages == []
    assert add_by_mode(greeting_list, entries, AddMode.WELCOME) == (1, 2)
    assert [m.rcpt_tos for m in sink[1].messages] == [["b@example.net"]]


def test_only_confirmed_invitees_become_members_even_on_a_moderated_list(app, sink):
    mlist = make_list("club@example.org", "Club", subscription_policy="moderate")
    make_members(mlist, "old@example.net")
    invited, skipped = add_by_mode(
        mlist, [Entry("inv@example.net", "In"), Entry("old@example.net", "")], AddMode.INVITE
    )
    assert (invited, skipped) == (1, 1)
    assert (member("inv@example.net").status, member("inv@example.net").pending) == ("pending", "invite")
    (invitation,) = mails(sink, "inv@example.net")
    token = re.search(r"/confirm/(\w+)", invitation.get_content()).group(1)
    assert invitation["Reply-To"] == f"club-confirm+{token}@example.org"
    assert confirm(token)[0] == Result.SUBSCRIBED  # the owner invited: no second approval
    assert member("inv@example.net").status == MemberStatus.ACTIVE


def test_cli_members_add_takes_a_mode(app, sink, greeting_list):
    def mailflow(*args: str):
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    result = mailflow("members", "add", "--mode", "invite", greeting_list.address, "x@example.net")
    assert result.exit_code == 0 and "1 invited" in result.output, result.output
    assert member("x@example.net").status == MemberStatus.PENDING
    result = mailflow("members", "add", "--mode", "welcome", greeting_list.address, "y@example.net")
    assert "1 added" in result.output and mails(sink, "y@example.net")[0]["Subject"] == "Welcome to News"
