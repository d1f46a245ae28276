"""Issue 12 item 11: two lists subscribed to each other stop at the second pass instead of ping-ponging."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.jobs.queues import close_redis
from app.models import Post, PostStatus
from app.pipeline.loopmarker import LOOP_MARKER
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain, receiver

HOPS = 5


@pytest.fixture
def relay(settings, redis_url, sink):
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app, sink[1]
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)  # its pool's sockets, or the garbage collector finds them open (ResourceWarning)


def lists_subscribed_to_each_other():
    options = dict(posting_policy="open", dmarc_mode="off", require_explicit_destination=False)
    first = make_list("first@example.org", "First", **options)
    second = make_list("second@example.org", "Second", **options)
    make_members(first, "second@example.org")
    make_members(second, "first@example.org")
    return first, second


def test_a_post_is_not_sent_twice_by_the_same_list(relay, smtpd_port):
    app, handler = relay
    first, _ = lists_subscribed_to_each_other()
    with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        client.sendmail("alice@example.net", ["first@example.org"], message(to="first@example.org"))
        drain(app)
        for _ in range(HOPS):  # what the relay would do: each copy goes back to our receiver
            sent, handler.messages[:] = list(handler.messages), []
            for copy in sent:
                client.sendmail(copy.mail_from, copy.rcpt_tos, copy.data)
            drain(app)
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert [(p.mailing_list.address, p.status) for p in posts] == [
        ("first@example.org", PostStatus.DISTRIBUTED),
        ("second@example.org", PostStatus.DISTRIBUTED),
        ("first@example.org", PostStatus.HELD),
    ]
    looped = posts[-1]
    assert "Mail loop" in looped.decision_reason and "first@example.org" in looped.decision_reason
    assert looped.rule_hits[0] == "loop"


def test_loop_markers_accumulate_hop_by_hop(relay, smtpd_port):
    app, handler = relay
    lists_subscribed_to_each_other()
    with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        client.sendmail("alice@example.net", ["first@example.org"], message(to="first@example.org"))
        drain(app)
        [copy] = handler.messages
        client.sendmail(copy.mail_from, copy.rcpt_tos, copy.data)
        drain(app)
    second_copy = handler.messages[-1].data
    markers = [
        line.split(b":", 1)[1].strip()
        for line in second_copy.split(b"\r\n")
        if line.startswith(LOOP_MARKER.encode() + b":")
    ]
    assert markers == [b"first.example.org", b"second.example.org"]
