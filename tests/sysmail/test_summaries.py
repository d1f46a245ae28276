"""Notice modes: each post, a summary every N minutes, a daily summary; the catch-up; membership news."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.accounts.notice_settings import InvalidNoticeSetting, parse_settings, set_notice_settings
from app.bounces.scoring import score
from app.extensions import db
from app.membership.subscriptions import unsubscribe
from app.models import BounceKind, Member, MemberStatus, NoticePreference
from app.models.audit import CLI
from app.models.timestamps import utcnow
from app.pipeline.dispositions import dispose
from app.pipeline.runner import decide
from app.sysmail.membership_news import send_membership_news
from app.sysmail.summaries import send_due_summaries
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, make_user, message

MOD, OWNER = "mod@example.org", "own@example.org"


@pytest.fixture
def team(smtp_app):
    mlist = make_list()
    users = {
        "mod": make_user(MOD, roles={mlist: "moderator"}),
        "owner": make_user(OWNER, roles={mlist: "owner"}),
    }
    return mlist, users


def hold(mlist, subject: str, notify: bool = True):
    post = store_post(mlist, message(sender="eve@example.net", subject=subject), "eve@example.net")
    decide(post)
    if notify:
        dispose(post)
    return post


def mails(sink, rcpt: str) -> list:
    return [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt().get(rcpt, [])]


def text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_summary_every_n_minutes_lists_each_new_item_once_with_its_own_links(team, sink):
    mlist, users = team
    set_notice_settings(users["mod"], mlist, parse_settings("interval", 30, "off"), CLI)
    hold(mlist, "first")
    hold(mlist, "second")
    assert len(mails(sink, OWNER)) == 2 and mails(sink, MOD) == []
    start = utcnow()
    assert send_due_summaries(start) == 0  # the rhythm starts: the first summary is due in 30 minutes
    send_due_summaries(start + timedelta(minutes=31))
    [summary] = mails(sink, MOD)
    body = text(summary)
    assert "first" in body and "second" in body
    links = set(re.findall(r"mailto:(team-confirm\+m[a-z2-7]+@example\.org)\?subject=approve", body))
    assert len(links) == 2 and summary["Auto-Submitted"] == "auto-generated"
    assert send_due_summaries(start + timedelta(minutes=62)) == 0  # nothing new: no mail
    hold(mlist, "third")
    send_due_summaries(start + timedelta(minutes=93))
    latest = text(mails(sink, MOD)[-1])
    assert "third" in latest and "first" not in latest


def test_daily_summary_waits_a_day(team, sink):
    mlist, users = team
    set_notice_settings(users["mod"], mlist, parse_settings("daily", 60, "off"), CLI)
    hold(mlist, "one")
    start = utcnow()
    send_due_summaries(start)
    send_due_summaries(start + timedelta(hours=23))
    assert mails(sink, MOD) == []
    send_due_summaries(start + timedelta(hours=25))
    assert "one" in text(mails(sink, MOD)[0])


def test_catch_up_announces_what_nobody_was_told(team, sink):
    mlist, _ = team
    post = hold(mlist, "lost notice", notify=False)
    assert send_due_summaries(post.received_at) == 0  # within the grace minute: the worker's notice may come
    send_due_summaries(utcnow() + timedelta(minutes=2))
    assert [m["Reply-To"] is not None for m in mails(sink, MOD)] == [True]
    assert send_due_summaries(utcnow() + timedelta(minutes=3)) == 0


def test_catch_up_of_many_items_is_one_summary(team, sink):
    mlist, _ = team
    for n in range(7):
        hold(mlist, f"backlog {n}", notify=False)
    send_due_summaries(utcnow() + timedelta(minutes=2))
    [summary] = mails(sink, MOD)
    assert all(f"backlog {n}" in text(summary) for n in range(7))


def test_membership_news_for_owners_who_asked(team, sink):
    mlist, users = team
    with pytest.raises(InvalidNoticeSetting):
        set_notice_settings(users["mod"], mlist, parse_settings("each", 60, "each"), CLI)
    with pytest.raises(InvalidNoticeSetting):
        parse_settings("hourly", 60, "off")
    set_notice_settings(users["owner"], mlist, parse_settings("each", 60, "each"), CLI)
    make_members(mlist, "new@example.net")
    unsubscribe(db.session.scalar(select(Member).where(Member.email == "new@example.net")))
    assert send_membership_news() == 1
    body = mails(sink, OWNER)[-1].get_content()
    assert "joined" in body and "left" in body and "new@example.net" in body
    assert send_membership_news() == 0
    pref = db.session.scalar(select(NoticePreference).where(NoticePreference.user_id == users["owner"].id))
    assert pref.membership_seen_id > 0


def test_membership_news_tells_an_owner_of_a_member_disabled_by_bounces(team, sink):
    mlist, users = team
    set_notice_settings(users["owner"], mlist, parse_settings("each", 60, "each"), CLI)
    make_members(mlist, "gone@example.net")
    send_membership_news()  # the join, told and done with
    gone = db.session.scalar(select(Member).where(Member.email == "gone@example.net"))
    now = utcnow()
    disabled = [score(gone, BounceKind.HARD, True, now + timedelta(days=day)) for day in range(10)]
    db.session.commit()
    assert True in disabled and gone.status == MemberStatus.DISABLED
    assert send_membership_news() == 1
    body = mails(sink, OWNER)[-1].get_content()
    assert "disabled" in body and "gone@example.net" in body
