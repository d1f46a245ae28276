"""Each posting policy through real sockets: smtplib -> receiver -> Redis -> RQ worker -> SMTP egress -> sink."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Post, PostStatus
from tests.pipeline.standards import check_copy
from tests.support.factories import make_list, make_members, make_user, message
from tests.support.stack import drain, receiver, send

MEMBERS = ["alice@example.org", "ann@example.net", "bob@example.net"]


@pytest.fixture
def stack(settings, redis_url, sink):
    from tests.support.db import truncate_all

    controller, handler = sink
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app, handler
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def post_through(app, port, mail_from, raw, to="team@example.org"):
    with receiver(app, port):
        assert send(port, mail_from, [to], raw) == {}
    drain(app)
    db.session.expire_all()
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


def assert_delivered(handler, mlist, raw, recipients):
    copies = handler.by_rcpt()
    assert sorted(copies) == sorted(recipients)
    for rcpt, received in copies.items():
        assert len(received) == 1, rcpt
        check_copy(received[0].data, received[0].mail_from, mlist, raw)
        assert f"{rcpt}".encode() in received[0].data  # the footer names the recipient


def make_policy_list(policy: str):
    mlist = make_list(
        "team@example.org",
        "Team",
        posting_policy=policy,
        subject_prefix="[team]",
        footer_template="-- \nSent to {{ member_email }} by {{ list_name }}",
    )
    make_members(mlist, *MEMBERS)
    return mlist


def test_open_list_distributes_a_strangers_post(stack, smtpd_port):
    app, handler = stack
    mlist = make_policy_list("open")
    raw = message(sender="Eve <eve@example.com>", message_id="<open-1@example.com>")
    post = post_through(app, smtpd_port, "eve@example.com", raw)
    assert post.status == PostStatus.DISTRIBUTED
    assert_delivered(handler, mlist, raw, MEMBERS)


def test_members_list_distributes_members_and_holds_strangers(stack, smtpd_port):
    app, handler = stack
    mlist = make_policy_list("members")
    make_user("mod@example.org", roles={mlist: "moderator"})
    raw = message(sender="Alice <alice@example.org>", message_id="<members-1@example.org>")
    assert post_through(app, smtpd_port, "alice@example.org", raw).status == PostStatus.DISTRIBUTED
    assert_delivered(handler, mlist, raw, MEMBERS)
    handler.messages.clear()
    held = post_through(app, smtpd_port, "eve@example.com", message(sender="eve@example.com"))
    assert held.status == PostStatus.HELD
    [notice] = handler.messages
    assert notice.rcpt_tos == ["mod@example.org"] and f"/moderation/{held.id}".encode() in notice.data


def test_moderated_list_holds_until_a_moderator_approves(stack, smtpd_port):
    from app.jobs.queues import Job, enqueue

    app, handler = stack
    mlist = make_policy_list("moderated")
    raw = message(sender="Alice <alice@example.org>", message_id="<moderated-1@example.org>")
    post = post_through(app, smtpd_port, "alice@example.org", raw)
    assert post.status == PostStatus.HELD and post.hold_reasons == [
        "The list is moderated: every post waits for a moderator."
    ]
    assert handler.messages == []
    # The panel's contract: moderator_decision = "approve", status back to "received", enqueue process_post.
    post.moderator_decision, post.status = "approve", PostStatus.RECEIVED
    db.session.commit()
    enqueue(Job.PROCESS_POST, post.id)
    drain(app)
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.DISTRIBUTED and post.rule_hits == ["approved"]
    assert_delivered(handler, mlist, raw, MEMBERS)


def test_announce_list_takes_posts_from_owners_only(stack, smtpd_port):
    app, handler = stack
    mlist = make_policy_list("announce")
    make_user("boss@example.org", roles={mlist: "owner"})
    member_post = post_through(app, smtpd_port, "alice@example.org", message(sender="alice@example.org"))
    assert member_post.status == PostStatus.HELD
    handler.messages = [
        m for m in handler.messages if "boss@example.org" not in m.rcpt_tos
    ]  # drop the notice
    assert handler.messages == []
    raw = message(sender="Boss <boss@example.org>", subject="News", message_id="<announce-1@example.org>")
    assert post_through(app, smtpd_port, "boss@example.org", raw).status == PostStatus.DISTRIBUTED
    assert_delivered(handler, mlist, raw, MEMBERS)
    assert b"List-Post: NO\r\n" in handler.messages[0].data
