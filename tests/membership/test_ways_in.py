"""Issue 12 item 3: a ban closes every way in; a request for an existing member changes nothing until confirmed."""

from __future__ import annotations

import re
import smtplib

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Member, MemberStatus, Post
from app.moderation.bans import ban_address
from tests.panel.conftest import Browser
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain, receiver

BANNED = "troll@example.net"


@pytest.fixture
def app(settings, redis_url, sink):
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


@pytest.fixture
def team(app):
    mlist = make_list("team@example.org", "Team", subscription_policy="confirm")
    ban_address(mlist.id, BANNED)
    db.session.commit()
    return mlist


def member(email: str) -> Member | None:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.email == email))


def subscribe_on_the_web(app, email: str, name: str = "Pat"):
    return Browser(app.test_client()).submit("/subscribe/team@example.org", {"email": email, "name": name})


def mail_to(app, port: int, sender: str, rcpt: str, subject: str = "subscribe") -> None:
    with receiver(app, port), smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, [rcpt], message(sender, rcpt, subject, body="subscribe\n"))
    drain(app)


def link_in(data: bytes) -> str:
    return re.search(rb"https://lists\.example\.org(/confirm/\w+)", data).group(1).decode()


def test_a_banned_address_cannot_subscribe_on_the_web(app, team, sink):
    response = subscribe_on_the_web(app, BANNED)
    assert response.status_code == 200 and b"Check your mail" in response.data  # the same answer as anyone
    assert member(BANNED) is None and sink[1].messages == []


@pytest.mark.parametrize("rcpt", ["team-join@example.org", "team-request@example.org"])
def test_a_banned_address_cannot_subscribe_by_mail(app, team, sink, smtpd_port, rcpt):
    mail_to(app, smtpd_port, BANNED, rcpt)
    assert member(BANNED) is None
    [reply] = sink[1].messages
    assert reply.rcpt_tos == [BANNED] and b"may not subscribe" in reply.data
    assert db.session.scalar(select(Post.decision_reason)) == "subscribe: banned"


def test_a_ban_after_the_request_stops_the_confirmation(app, team, sink):
    subscribe_on_the_web(app, "late@example.net")
    link = link_in(sink[1].messages[0].data)
    ban_address(team.id, "late@example.net")
    db.session.commit()
    page = Browser(app.test_client()).submit(link, {})
    assert b"cannot join" in page.data
    assert member("late@example.net").status == MemberStatus.PENDING


def test_a_banned_and_removed_member_cannot_come_back(app, team, sink):
    make_members(team, "gone@example.net")
    ban_address(team.id, "gone@example.net")
    db.session.delete(member("gone@example.net"))
    db.session.commit()
    subscribe_on_the_web(app, "gone@example.net")
    assert member("gone@example.net") is None and sink[1].messages == []


@pytest.mark.parametrize("policy", ["open", "confirm", "moderate"])
def test_a_stranger_cannot_change_a_disabled_member(app, sink, policy):
    mlist = make_list("team@example.org", "Team", subscription_policy=policy)
    db.session.add(
        Member(list_id=mlist.id, email="ann@example.net", name="Ann", status=MemberStatus.DISABLED)
    )
    db.session.commit()
    subscribe_on_the_web(app, "ann@example.net", name="Mallory")
    ann = member("ann@example.net")
    assert (ann.status, ann.name) == (MemberStatus.DISABLED, "Ann")
    [confirmation] = sink[1].messages  # only the address itself can bring the membership back
    assert confirmation.rcpt_tos == ["ann@example.net"]
    Browser(app.test_client()).submit(link_in(confirmation.data), {})
    ann = member("ann@example.net")
    expected = MemberStatus.DISABLED if policy == "moderate" else MemberStatus.ACTIVE
    assert (ann.status, ann.name) == (expected, "Ann")
    if policy == "moderate":
        assert ann.pending == "approval"  # confirmed by the address, now up to a moderator


def test_a_join_by_mail_for_a_disabled_member_changes_nothing_until_confirmed(app, sink, smtpd_port):
    mlist = make_list("team@example.org", "Team", subscription_policy="open")
    db.session.add(
        Member(list_id=mlist.id, email="ann@example.net", name="Ann", status=MemberStatus.DISABLED)
    )
    db.session.commit()
    mail_to(app, smtpd_port, "ann@example.net", "team-join@example.org")
    assert member("ann@example.net").status == MemberStatus.DISABLED
    [reply] = sink[1].messages
    assert b"Please confirm" in reply.data


def test_the_owner_is_warned_when_adding_a_banned_address(app, team):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.cli import cli
    from app.commands import register

    register(cli)
    result = CliRunner().invoke(
        cli, ["members", "add", "team@example.org", BANNED], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0
    assert f"warning: {BANNED} is banned" in result.output
