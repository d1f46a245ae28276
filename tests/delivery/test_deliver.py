"""The deliver phase against a real aiosmtpd sink: claims, leases, retries, bounces, the retry window."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.jobs.queues import QueueName
from app.models import Bounce, Delivery, DeliveryStatus, Member, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline.claims import claim, renew_lease
from app.pipeline.deliver import deliver_batch
from app.pipeline.runner import process
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message
from tests.support.smtp import start_sink

MEMBERS = ("ann@example.net", "bob@example.net", "grey@example.net", "gone@example.net")


@pytest.fixture
def sink():
    controller, handler = start_sink()
    handler.refuse = {"gone@example.net": "550 5.1.1 no such user", "grey@example.net": "451 4.7.1 try later"}
    yield controller, handler
    controller.stop()


def _prepared_post() -> tuple[int, list[int]]:
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", *MEMBERS)
    post = Post(
        list_id=mlist.id,
        raw=message(),
        sha256="x",
        status=PostStatus.RECEIVED,
        mail_from="alice@example.org",
        sender="alice@example.org",
    )
    db.session.add(post)
    db.session.commit()
    process(post.id)  # moderate, prepare, fan out (jobs go to Redis; this test runs them itself)
    ids = list(
        db.session.scalars(select(Delivery.id).where(Delivery.post_id == post.id).order_by(Delivery.id))
    )
    return post.id, ids


def _by_rcpt() -> dict[str, Delivery]:
    db.session.expire_all()
    return {d.recipient: d for d in db.session.scalars(select(Delivery))}


def test_outcomes_per_copy_and_retry_with_backoff(smtp_app, sink, redis_url):
    _, handler = sink
    post_id, ids = _prepared_post()
    deliver_batch(post_id, ids)
    rows = _by_rcpt()
    assert rows["ann@example.net"].status == DeliveryStatus.SENT
    assert rows["ann@example.net"].provider_message_id == "2.0.0 accepted"
    assert rows["gone@example.net"].status == DeliveryStatus.BOUNCED
    grey = rows["grey@example.net"]
    assert grey.status == DeliveryStatus.PENDING and grey.last_error.startswith("451")
    assert grey.next_attempt_at > utcnow() + timedelta(seconds=20)
    scheduled = ScheduledJobRegistry(
        queue=Queue(QueueName.DELIVERIES.value, connection=Redis.from_url(redis_url))
    )
    assert len(scheduled.get_job_ids()) == 1  # the retry waits in RQ's scheduler
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert (bounce.address, bounce.kind, bounce.delivery_id) == (
        "gone@example.net",
        "hard",
        rows["gone@example.net"].id,
    )
    assert db.session.get(Member, rows["gone@example.net"].member_id).bounce_score == 1.0
    # running the batch again before the backoff ends sends nothing twice
    deliver_batch(post_id, ids)
    assert len(handler.messages) == 3
    # the greylisting server accepts later
    handler.refuse.pop("grey@example.net")
    db.session.execute(text("UPDATE deliveries SET next_attempt_at = NULL"))
    db.session.commit()
    deliver_batch(post_id, [grey.id])
    assert _by_rcpt()["grey@example.net"].status == DeliveryStatus.SENT
    assert sorted(r for m in handler.messages for r in m.rcpt_tos) == sorted(
        ["alice@example.org", "ann@example.net", "bob@example.net", "grey@example.net"]
    )
    assert db.session.get(Post, post_id).status == PostStatus.DISTRIBUTED


def test_temporary_failure_after_the_retry_window_fails_for_good(smtp_app, sink):
    post_id, ids = _prepared_post()
    db.session.execute(Delivery.__table__.update().values(created_at=utcnow() - timedelta(days=6)))
    db.session.commit()
    deliver_batch(post_id, ids)
    grey = _by_rcpt()["grey@example.net"]
    assert grey.status == DeliveryStatus.FAILED and "retry window ended" in grey.last_error
    assert db.session.scalar(select(Bounce.kind).where(Bounce.delivery_id == grey.id)) == "hard"


def test_a_claimed_copy_is_not_claimed_again_and_fencing_stops_a_late_worker(smtp_app):
    _, ids = _prepared_post()
    first = claim(ids, "worker-a")
    assert [c.id for c in first] == ids
    assert claim(ids, "worker-b") == []
    # worker-a stalls past its lease; the reconciler returns the copies and worker-b takes them
    from app.jobs.reconcile import release_expired_leases

    db.session.execute(Delivery.__table__.update().values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert release_expired_leases() == len(ids)
    assert [c.id for c in claim(ids, "worker-b")] == ids
    assert renew_lease(first, "worker-a") == []  # worker-a wakes up and sends nothing
    assert len(renew_lease(first, "worker-b")) == len(ids)


def test_a_dead_local_workers_copies_return_at_once_and_a_live_ones_stay(smtp_app):
    """No waiting for the lease when the owner is a process of this host that no longer exists."""
    from app.jobs.reconcile import release_expired_leases
    from app.pipeline.lease import renew

    _, ids = _prepared_post()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()[:30]
    dead, alive = claim(ids[:2], f"{host}:{gone.pid}:dead"), claim(ids[2:], f"{host}:{os.getpid()}:live")
    assert release_expired_leases() == len(dead)  # leases of 30 s: only the dead owner's copies move
    db.session.expire_all()
    assert {db.session.get(Delivery, c.id).status for c in dead} == {DeliveryStatus.PENDING}
    assert renew([c.id for c in alive], f"{host}:{os.getpid()}:live", 30) == len(alive)
    assert renew([c.id for c in dead], f"{host}:{gone.pid}:dead", 30) == 0  # a late heartbeat keeps nothing


def test_skip_locked_on_postgresql(smtp_app, db_dialect):
    if db_dialect != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    _, ids = _prepared_post()
    other = db.engine.connect()
    locking = other.begin()
    other.execute(text("SELECT id FROM deliveries WHERE id = ANY(:ids) FOR UPDATE"), {"ids": ids[:2]})
    try:
        claimed = [c.id for c in claim(ids, "worker-b")]  # does not wait for the locked rows
    finally:
        locking.rollback()
        other.close()
    assert claimed == ids[2:]


def test_a_copy_that_cannot_be_built_fails_without_counting_as_a_bounce(smtp_app, sink):
    _, handler = sink
    post_id, ids = _prepared_post()
    post = db.session.get(Post, post_id)
    post.prepared = b"X-Long: " + b"x" * 2000 + b"\r\n" + post.prepared  # one unfoldable 2,000-octet word
    db.session.commit()
    deliver_batch(post_id, ids)
    rows = _by_rcpt()
    assert {r.status for r in rows.values()} == {DeliveryStatus.FAILED}
    assert all(r.last_error.startswith("copy not built") for r in rows.values())
    assert db.session.scalars(select(Bounce)).all() == [] and handler.messages == []


def test_an_unreachable_relay_never_counts_against_members(settings, redis_url):
    from tests.support.smtp import free_port

    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        post_id, ids = _prepared_post()
        deliver_batch(post_id, ids)  # inside the window: everything waits for a retry
        assert {r.status for r in _by_rcpt().values()} == {DeliveryStatus.PENDING}
        db.session.execute(
            Delivery.__table__.update().values(created_at=utcnow() - timedelta(days=6), next_attempt_at=None)
        )
        db.session.commit()
        deliver_batch(post_id, ids)  # the window ended: the copies fail, the members are not blamed
        assert {r.status for r in _by_rcpt().values()} == {DeliveryStatus.FAILED}
        assert db.session.scalars(select(Bounce)).all() == []
        assert {m.bounce_score for m in db.session.scalars(select(Member))} == {0.0}
        db.session.remove()
        truncate_all()
        db.engine.dispose()
