"""Retries go out on time: RQ's whole-second schedule never runs a retry before its copies are due, a retry
that runs early anyway re-schedules itself, and a busy delivery queue does not hide overdue retries."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, text, update

from app.extensions import db
from app.jobs import retry_policy
from app.jobs.queues import Job, QueueName, enqueue
from app.jobs.reconcile import enqueue_orphaned_deliveries, orphans_query
from app.jobs.worker import run_worker
from app.models import Delivery, DeliveryStatus
from app.models.timestamps import utcnow
from app.pipeline.deliver import deliver_batch
from tests.support.factories import fanned_out, make_list, make_members, message

MEMBERS = ("alice@example.org", "ann@example.net", "bob@example.net", "cyd@example.net")


@pytest.fixture
def deliveries(redis_url):
    """The delivery queue and its scheduled-job registry, on a connection of the test's own."""
    conn = Redis.from_url(redis_url)
    queue = Queue(QueueName.DELIVERIES.value, connection=conn)
    yield queue, ScheduledJobRegistry(queue=queue)
    conn.close()


def _post(*more: str) -> tuple[int, list[int]]:
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, *MEMBERS, *more)
    return fanned_out(mlist, message(), MEMBERS[0])


def test_a_delayed_job_is_never_scheduled_before_its_time(smtp_app, deliveries):
    _, scheduled = deliveries
    for delay in (0.3, 1, 1.7, 30):
        before = time.time()
        enqueue(Job.DELIVER, 1, [1], delay=delay)
        [(job_id, at)] = _latest(scheduled)
        assert at >= before + delay, f"delay {delay}: scheduled {at - before:.3f}s after enqueue"
        scheduled.remove(job_id)


def _latest(registry: ScheduledJobRegistry) -> list[tuple[str, float]]:
    return [
        (job_id.decode(), score)
        for job_id, score in registry.connection.zrange(registry.key, 0, -1, withscores=True)
    ]


def test_a_retry_that_runs_before_its_copies_are_due_schedules_them_again(smtp_app, deliveries, sink):
    post_id, ids = _post()
    due = utcnow() + timedelta(seconds=5)
    db.session.execute(update(Delivery).values(next_attempt_at=due, attempts=1))
    db.session.commit()
    deliver_batch(post_id, ids)  # RQ ran the retry early: nothing is due yet
    assert sink[1].messages == []
    queue, scheduled = deliveries
    [(job_id, at)] = _latest(scheduled)
    assert queue.fetch_job(job_id).args == (post_id, ids)
    assert at >= due.timestamp()


def test_a_busy_delivery_queue_does_not_hide_an_overdue_retry(smtp_app, deliveries):
    post_id, ids = _post()
    queue, _ = deliveries
    queue.empty()
    overdue = utcnow() - timedelta(seconds=smtp_app.config["MAILFLOW"].RECONCILE_SECONDS * 2)
    db.session.execute(
        update(Delivery).where(Delivery.id == ids[0]).values(next_attempt_at=overdue, attempts=1)
    )
    db.session.execute(update(Delivery).where(Delivery.id != ids[0]).values(status=DeliveryStatus.SENT))
    db.session.commit()
    queue.enqueue(Job.IMPORT_MEMBERS.value, 999)  # a backlog: the delivery queue is not empty
    assert enqueue_orphaned_deliveries() == 1
    assert queue.get_jobs()[0].args == (post_id, [ids[0]])  # at the front, ahead of the backlog
    assert enqueue_orphaned_deliveries() == 0  # marked due now: the next pass does not add another


def test_copies_go_out_on_the_first_retry_once_the_relay_is_back(smtp_app, redis_url, sink, monkeypatch):
    _, handler = sink
    monkeypatch.setattr(retry_policy, "FIRST_BACKOFF_SECONDS", 1)
    handler.refuse_all = "451 4.3.0 relay busy, try again later"
    post_id, ids = _post()
    run_worker(smtp_app, burst=True)  # the fan-out's job: every copy refused for now, a retry scheduled
    assert {d.attempts for d in db.session.scalars(select(Delivery))} == {1}
    handler.refuse_all = ""  # the relay is back
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        db.session.expire_all()
        if {d.status for d in db.session.scalars(select(Delivery))} == {DeliveryStatus.SENT}:
            break
        time.sleep(0.3)
        run_worker(smtp_app, burst=True)  # picks up retry jobs whose time has come
    db.session.expire_all()
    copies = db.session.scalars(select(Delivery)).all()
    assert {d.status for d in copies} == {DeliveryStatus.SENT}
    assert {d.attempts for d in copies} == {2}  # sent by the retry itself, not by a later reconciler pass
    assert len(handler.messages) == len(MEMBERS)


def _plan(query) -> str:
    """The database's plan for the query, as text, with statistics of the table as it stands."""
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    db.session.execute(text("ANALYZE deliveries"))
    if db.engine.dialect.name == "postgresql":
        return "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    return "\n".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_the_overdue_retry_scan_reads_only_copies_with_a_retry_time(smtp_app):
    """A fan-out under way: many copies pending, one of them a retry; the scan reads the retry's index."""
    _, ids = _post(*[f"m{i:04d}@example.net" for i in range(2000)])
    db.session.execute(
        update(Delivery).where(Delivery.id == ids[0]).values(next_attempt_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert "ix_deliveries_retry_due" in _plan(orphans_query(utcnow(), empty=False))
    rows = db.session.execute(orphans_query(utcnow(), empty=False)).all()
    assert [row.id for row in rows] == [ids[0]]
