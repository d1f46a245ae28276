"""What a post's copies came to: a summary line, `undelivered` when not one copy went out, no stale errors."""

from __future__ import annotations

import logging

from sqlalchemy import select, text

from app.extensions import db
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.pipeline.deliver import deliver_batch
from tests.delivery.test_relay_fault import _post
from tests.support.factories import make_list, make_members


def test_a_post_whose_every_copy_bounced_is_undelivered(smtp_app, sink, caplog):
    _, handler = sink
    handler.refuse = {  # two different refusals: bounces, not a relay fault
        "alice@example.org": "550 5.1.1 mailbox unavailable",
        "ann@example.net": "550 5.2.1 account disabled",
    }
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", "ann@example.net")
    post_id, ids = _post(mlist.id, 1)
    with caplog.at_level(logging.INFO, logger="app.pipeline.recipients"):
        deliver_batch(post_id, ids)
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == PostStatus.UNDELIVERED
    [summary] = [r.getMessage() for r in caplog.records if r.name == "app.pipeline.recipients"]
    assert summary == f"post {post_id} to team@example.org undelivered: 0 copies sent, 0 failed, 2 bounced"


def test_a_copy_sent_on_a_retry_loses_the_earlier_error(smtp_app, sink, caplog):
    _, handler = sink
    handler.refuse = {"ann@example.net": "451 4.7.1 greylisted"}
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", "ann@example.net", "bob@example.net")
    post_id, ids = _post(mlist.id, 1)
    deliver_batch(post_id, ids)
    ann = db.session.scalar(select(Delivery).where(Delivery.recipient == "ann@example.net"))
    assert ann.last_error.startswith("451")
    handler.refuse = {}
    db.session.execute(text("UPDATE deliveries SET next_attempt_at = NULL"))
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="app.pipeline.recipients"):
        deliver_batch(post_id, [ann.id])
    db.session.expire_all()
    ann = db.session.get(Delivery, ann.id)
    assert (ann.status, ann.last_error) == (DeliveryStatus.SENT, "")
    assert db.session.get(Post, post_id).status == PostStatus.DISTRIBUTED
    assert (
        f"post {post_id} to team@example.org distributed: 3 copies sent, 0 failed, 0 bounced" in caplog.text
    )
