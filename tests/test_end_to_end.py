"""Through real sockets: smtplib → receiver → real Redis → real RQ worker → smtp egress → aiosmtpd sink."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.jobs.queues import close_redis
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain, receiver, send

MEMBERS = ["ann@example.net", "bob@example.net", "cyd@example.com"]


@pytest.fixture
def stack_app(settings, redis_url, sink):
    controller, _ = sink
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    from tests.conftest import truncate_all

    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)


def test_member_post_reaches_every_active_member_once(stack_app, sink, smtpd_port):
    _, handler = sink
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", *MEMBERS)
    raw = message(sender="Alice <alice@example.org>", message_id="<first-post@example.org>")
    with receiver(stack_app, smtpd_port):
        assert send(smtpd_port, "alice@example.org", ["team@example.org"], raw) == {}
    drain(stack_app)

    copies = handler.by_rcpt()
    assert sorted(copies) == sorted(["alice@example.org", *MEMBERS])
    for rcpt, received in copies.items():
        assert len(received) == 1, f"{rcpt} got {len(received)} copies"
        copy = received[0]
        assert copy.mail_from.startswith("team-bounces+") and copy.mail_from.endswith("@example.org")  # VERP
        parsed = message_from_bytes(copy.data, policy=default)
        assert parsed["List-Id"] == '"Team" <team.example.org>'
        assert parsed["List-Unsubscribe"].startswith("<https://lists.example.org/unsubscribe/")
        assert "mailto:team-leave@example.org" in parsed["List-Unsubscribe"]
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert parsed["Message-ID"] == "<first-post@example.org>"
        assert parsed.get_content().strip() == "Hi all."
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.DISTRIBUTED
    sent = db.session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))
    assert sent == 4


def test_nonmember_post_is_held_and_nothing_is_sent(stack_app, sink, smtpd_port):
    _, handler = sink
    mlist = make_list("team@example.org")
    make_members(mlist, *MEMBERS)
    with receiver(stack_app, smtpd_port):
        send(smtpd_port, "mallory@example.com", ["team@example.org"], message(sender="mallory@example.com"))
    drain(stack_app)
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.HELD
    assert post.hold_reasons == ["The sender mallory@example.com is not a member of the list."]
    assert post.rule_hits == ["nonmember-moderation"]
    assert handler.messages == []
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_unsubscribed_and_disabled_members_get_no_copy(stack_app, sink, smtpd_port):
    from app.models import Member, MemberStatus

    _, handler = sink
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org", *MEMBERS)
    db.session.execute(
        Member.__table__.update()
        .where(Member.email == "bob@example.net")
        .values(status=MemberStatus.UNSUBSCRIBED)
    )
    db.session.execute(
        Member.__table__.update()
        .where(Member.email == "cyd@example.com")
        .values(status=MemberStatus.DISABLED)
    )
    db.session.commit()
    with receiver(stack_app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], message())
    drain(stack_app)
    assert sorted(handler.by_rcpt()) == ["alice@example.org", "ann@example.net"]
