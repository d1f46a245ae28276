"""`mailflow status`: queues, copies, posts, workers, relay faults; exit 1 only when a person is needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, Worker

from app import create_app
from app.commands.status import status
from app.extensions import db
from app.jobs.queues import QueueName, close_redis
from app.models import Delivery, DeliveryStatus, Member, Post, PostStatus, RelayFault
from app.models.timestamps import utcnow
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message


@pytest.fixture
def redis_app(settings, redis_url):
    settings["REDIS_URL"] = redis_url
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)


def _post(list_id: int, n: int, state: PostStatus) -> Post:
    post = Post(
        list_id=list_id, raw=message(), sha256=f"s{n}", status=state, mail_from="a@example.org", sender=""
    )
    db.session.add(post)
    db.session.commit()
    return post


def test_all_quiet_is_ok_and_exit_0(redis_app):
    result = redis_app.test_cli_runner().invoke(status)
    assert result.exit_code == 0, result.output
    assert "copies: 0 pending, 0 retrying" in result.output
    assert "queue mailflow-deliveries: 0 waiting" in result.output
    assert result.output.strip().endswith("ok")


def test_what_needs_a_person_is_named_and_exit_1(redis_app, redis_url):
    mlist = make_list("team@example.org")
    make_members(mlist, "ann@example.net", "bob@example.net")
    _post(mlist.id, 1, PostStatus.HELD)
    _post(mlist.id, 2, PostStatus.SHUNTED)
    sending = _post(mlist.id, 3, PostStatus.DISTRIBUTING)
    old = utcnow() - timedelta(hours=2)
    for n, member in enumerate(db.session.query(Member).order_by(Member.id)):
        db.session.add(
            Delivery(
                post_id=sending.id,
                member_id=member.id,
                recipient=member.email,
                status=DeliveryStatus.PENDING,
                attempts=n,  # one never tried, one retrying
                created_at=old,
            )
        )
    db.session.add(RelayFault(signature="554 5.7.1 relay access denied", sample="", copies=2))
    db.session.commit()
    conn = Redis.from_url(redis_url)
    Queue(QueueName.DELIVERIES.value, connection=conn).enqueue("app.jobs.tasks.reconcile")
    result = redis_app.test_cli_runner().invoke(status)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "copies: 1 pending, 1 retrying, 0 sending" in out and "oldest pending 2h ago" in out
    assert "posts: 1 held, 1 shunted" in out
    assert "queue mailflow-deliveries: 1 waiting" in out
    assert "relay fault: 554 5.7.1 relay access denied (2 copies" in out
    assert "NEEDS ATTENTION: 1 shunted post(s)" in out
    assert "no worker is running" in out
    assert "2 copies have been due for over 15 minutes" in out
    worker = Worker([Queue(QueueName.DELIVERIES.value, connection=conn)], connection=conn, name="w-test")
    worker.register_birth()
    worker.heartbeat()
    try:
        out = redis_app.test_cli_runner().invoke(status).output
    finally:
        worker.register_death()
        conn.close()
    assert "worker w-test: " in out and "last heartbeat 0s ago" in out
    assert "no worker is running" not in out
