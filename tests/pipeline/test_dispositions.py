"""Held posts notify moderators, rejected posts their sender; notices never answer automata or flood anyone."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Post, PostStatus
from app.models.timestamps import utcnow
from app.moderation.expiry import expire_held
from app.pipeline.dispositions import dispose
from app.pipeline.runner import decide
from app.sysmail.notices import NOTICES_PER_DAY, allow_notice
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_user, message


def decide_and_dispose(mlist, raw, mail_from):
    post = store_post(mlist, raw, mail_from)
    decide(post)
    dispose(post)
    return post


def received(sink):
    return [(m.rcpt_tos, message_from_bytes(m.data, policy=default)) for m in sink[1].messages]


def test_held_post_notifies_each_moderator_with_a_panel_link_and_a_reply_address(mail_app, sink):
    mlist = make_list()
    make_user("mod@example.org", roles={mlist: "moderator"})
    make_user("own@example.org", roles={mlist: "owner"})
    make_user("bystander@example.org")
    post = decide_and_dispose(mlist, message(sender="eve@example.net"), "eve@example.net")
    assert post.status == PostStatus.HELD
    notices = received(sink)
    assert sorted(r[0][0] for r in notices) == ["mod@example.org", "own@example.org"]
    for _, notice in notices:
        assert notice["Auto-Submitted"] == "auto-generated"
        text = notice.get_body(("plain",)).get_content()
        assert f"https://lists.example.org/moderation/{post.id}" in text
        assert "eve@example.net is not a member" in text
        assert notice["Reply-To"].startswith("team-confirm+m")
        assert sink[1].messages[0].mail_from == "team-bounces@example.org"


def test_rejected_post_tells_the_sender_why(mail_app, sink):
    mlist = make_list(nonmember_action="reject")
    raw = message(sender="eve@example.net", message_id="<eve-1@example.net>")
    post = decide_and_dispose(mlist, raw, "eve@example.net")
    assert post.status == PostStatus.REJECTED
    [(rcpts, notice)] = received(sink)
    assert rcpts == ["eve@example.net"]
    assert notice["Auto-Submitted"] == "auto-replied"
    assert notice["In-Reply-To"] == "<eve-1@example.net>"
    assert "is not a member of the list" in notice.get_content()


@pytest.mark.parametrize(
    "mail_from, extra",
    [
        ("", b""),
        ("MAILER-DAEMON@example.net", b""),
        ("eve@example.net", b"Auto-Submitted: auto-replied\r\n"),
        ("eve@example.net", b"Precedence: bulk\r\n"),
        ("eve@example.net", b"Precedence: junk\r\n"),
        ("eve@example.net", b"List-Id: <other.example.net>\r\n"),
    ],
)
def test_no_notice_to_null_senders_or_automatic_mail(mail_app, sink, mail_from, extra):
    mlist = make_list(nonmember_action="reject")
    raw = message(sender="eve@example.net").replace(b"Subject:", extra + b"Subject:")
    post = decide_and_dispose(mlist, raw, mail_from)
    assert post.status == PostStatus.REJECTED
    assert sink[1].messages == []


def test_discard_is_recorded_only(mail_app, sink):
    mlist = make_list(nonmember_action="discard")
    make_user("mod@example.org", roles={mlist: "moderator"})
    post = decide_and_dispose(mlist, message(sender="eve@example.net"), "eve@example.net")
    assert post.status == PostStatus.DISCARDED and post.decision_reason
    assert sink[1].messages == []


def test_notices_are_limited_per_address_per_day(mail_app, sink):
    mlist = make_list(nonmember_action="reject")
    for n in range(NOTICES_PER_DAY + 3):
        decide_and_dispose(mlist, message(sender="eve@example.net", subject=f"try {n}"), "eve@example.net")
    assert len(sink[1].messages) == NOTICES_PER_DAY
    assert allow_notice("other@example.net")
    assert not allow_notice("EVE@example.net")


def test_a_failing_egress_does_not_lose_the_decision(app, settings):
    from app import create_app

    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT="1")
    broken = create_app(settings)
    with broken.app_context():
        try:
            mlist = make_list(nonmember_action="reject")
            post = decide_and_dispose(mlist, message(sender="eve@example.net"), "eve@example.net")
            assert db.session.get(Post, post.id).status == PostStatus.REJECTED
        finally:
            db.session.remove()
            db.engine.dispose()


def test_held_posts_expire_after_hold_days(app):
    mlist = make_list(hold_days=3)
    old = store_post(mlist, message(sender="eve@example.net", subject="old"), "eve@example.net")
    new = store_post(mlist, message(sender="eve@example.net", subject="new"), "eve@example.net")
    for post in (old, new):
        decide(post)
    old.decided_at = utcnow() - timedelta(days=3, minutes=1)
    db.session.commit()
    assert expire_held() == 1
    assert old.status == PostStatus.DISCARDED and "3 days" in old.decision_reason
    assert new.status == PostStatus.HELD
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.object_id) == ("post.expired", old.id)
    assert expire_held(utcnow() + timedelta(days=14)) == 1


def test_notice_from_carries_any_list_name_safely(app):
    from app.sysmail.notices import build_notice

    for name in ("Team, Inc.", "Équipe «Zürich»"):
        mlist = make_list(f"l{len(name)}@example.org", name)
        notice = message_from_bytes(build_notice(mlist, "a@example.net", "S", "B").as_bytes(), policy=default)
        assert [(a.display_name, a.addr_spec) for a in notice["From"].addresses] == [
            (name, mlist.role_address("owner"))
        ]
