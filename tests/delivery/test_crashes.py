"""Each copy once: kill -9 a worker mid fan-out, flush Redis mid fan-out, two workers on one post."""

from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.pipeline.deliver import UNRECORDED_AT_MOST
from app.pipeline.runner import process
from tests.delivery.workers import kill9, start_worker, stop, wait_until, worker_env
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message

COPIES = 2000  # the kill -9 test's fan-out, as the issue asks
SMALL = 600  # enough for the flush and two-worker tests to land mid fan-out
TIMEOUT = 180  # seconds: a bound on a hung test, never an assertion on speed


def _setup(settings: dict, redis_url: str, sink_port: int, **extra: str):
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink_port),
        DELIVERY_BATCH_SIZE="100",
        RECONCILE_SECONDS="1",
        DELIVERY_LEASE_SECONDS="3",
    )
    settings.update(extra)
    return create_app(settings)


def _fan_out(copies: int = COPIES) -> int:
    mlist = make_list("big@example.org", "Big", nonmember_action="accept")
    make_members(mlist, *(f"m{i:04d}@example.net" for i in range(copies)))
    post = Post(
        list_id=mlist.id,
        raw=message(to="big@example.org"),
        sha256="big",
        mail_from="alice@example.org",
        sender="alice@example.org",
    )
    db.session.add(post)
    db.session.commit()
    process(post.id)  # moderate, prepare, create 2,000 deliveries, enqueue 20 jobs
    return post.id


def _sent() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))


def _done(post_id: int, copies: int = COPIES) -> bool:
    db.session.expire_all()
    return _sent() == copies and db.session.get(Post, post_id).status == PostStatus.DISTRIBUTED


def _copies_per_rcpt(handler) -> dict[str, int]:
    return {rcpt: len(got) for rcpt, got in handler.by_rcpt().items()}


@pytest.fixture
def run(settings, redis_url, sink, tmp_path):
    apps = []

    def make(url: str = redis_url, **extra: str):
        app = _setup(settings, url, sink[0].port, **extra)
        apps.append(app)
        return app

    workers = []
    yield make, workers, tmp_path / "worker.log"
    for w in workers:
        stop(w)
    for app in apps:
        with app.app_context():
            db.session.remove()
            truncate_all()
            db.engine.dispose()


def test_kill_9_mid_fan_out_loses_nothing_and_duplicates_at_most_one_chunk(run, sink, settings):
    make, workers, log = run
    _, handler = sink
    app = make()
    with app.app_context():
        truncate_all()
        post_id = _fan_out()
        env = worker_env(settings)
        workers.append(start_worker(env, log))
        wait_until(lambda: len(handler.messages) >= 400, TIMEOUT, "400 copies before the kill", log)
        kill9(workers[-1])
        received_at_kill = len(handler.messages)
        assert received_at_kill < COPIES
        workers.append(start_worker(env, log))
        wait_until(lambda: _done(post_id), TIMEOUT, "all copies sent after the restart", log)
    counts = _copies_per_rcpt(handler)
    assert len(counts) == COPIES  # every recipient got the post
    duplicates = sum(n - 1 for n in counts.values())
    assert max(counts.values()) <= 2
    print(f"kill -9 after {received_at_kill} copies: {duplicates} duplicate copies")
    assert duplicates <= UNRECORDED_AT_MOST, f"{duplicates} duplicates after one kill"


def test_flushed_redis_mid_fan_out_still_delivers_everything(run, sink, settings, private_redis):
    make, workers, log = run
    _, handler = sink
    app = make(private_redis.url)
    with app.app_context():
        truncate_all()
        post_id = _fan_out(SMALL)
        workers.append(start_worker(worker_env(settings), log))
        wait_until(lambda: len(handler.messages) >= 150, TIMEOUT, "150 copies before the flush", log)
        Redis.from_url(private_redis.url).flushall()  # a private redis-server: nothing else lives there
        assert len(handler.messages) < SMALL
        wait_until(lambda: _done(post_id, SMALL), TIMEOUT, "all copies sent after FLUSHALL", log)
    counts = _copies_per_rcpt(handler)
    assert len(counts) == SMALL
    assert set(counts.values()) == {1}  # no crash, so no copy twice


def test_two_workers_share_one_post_and_send_each_copy_once(run, sink, settings):
    make, workers, log = run
    _, handler = sink
    app = make()
    with app.app_context():
        truncate_all()
        post_id = _fan_out(SMALL)
        env = worker_env(settings)
        workers += [start_worker(env, log), start_worker(env, log)]
        wait_until(lambda: _done(post_id, SMALL), TIMEOUT, "all copies sent by two workers", log)
        owners = {o.rsplit(":", 1)[0] for o in db.session.scalars(select(Delivery.lease_owner))}
    counts = _copies_per_rcpt(handler)
    assert len(counts) == SMALL and set(counts.values()) == {1}
    assert len(owners) == 2, owners  # both worker processes sent part of the post


SLOW_COPIES = 300  # small: the slow relay makes every copy cost data_delay seconds


def test_a_slow_relay_never_costs_a_live_worker_its_lease(run, sink, settings):
    """A chunk takes longer than the lease; the heartbeat keeps it, so the second worker takes nothing."""
    make, workers, log = run
    _, handler = sink
    handler.data_delay = 0.06  # 25 copies a chunk on one connection: 1.5 s a chunk against a 1 s lease
    app = make(DELIVERY_BATCH_SIZE="150", DELIVERY_LEASE_SECONDS="1", SMTP_CONNECTIONS="1")
    with app.app_context():
        truncate_all()
        post_id = _fan_out(150)  # one job of 150 copies: only one worker can claim it
        env = worker_env(settings)
        workers += [start_worker(env, log), start_worker(env, log)]
        wait_until(lambda: _done(post_id, 150), TIMEOUT, "all copies sent through a slow relay", log)
    counts = _copies_per_rcpt(handler)
    assert len(counts) == 150
    assert set(counts.values()) == {1}, "a live worker's lease ran out: copies were sent twice"


def test_kill_9_and_a_flushed_redis_with_a_slow_relay_lose_nothing(run, sink, settings, private_redis):
    """The issue's case: kill -9 mid fan-out, Redis emptied at the same moment, a relay slow to answer DATA."""
    make, workers, log = run
    _, handler = sink
    handler.data_delay = 0.02
    app = make(private_redis.url)
    with app.app_context():
        truncate_all()
        post_id = _fan_out(SLOW_COPIES)
        env = worker_env(settings)
        workers.append(start_worker(env, log))
        wait_until(lambda: len(handler.messages) >= 60, TIMEOUT, "60 copies before the kill", log)
        kill9(workers[-1])
        Redis.from_url(private_redis.url).flushall()  # every queued job is gone with the worker
        assert len(handler.messages) < SLOW_COPIES
        workers.append(start_worker(env, log))
        wait_until(lambda: _done(post_id, SLOW_COPIES), TIMEOUT, "all copies sent after kill and flush", log)
    counts = _copies_per_rcpt(handler)
    assert len(counts) == SLOW_COPIES
    assert max(counts.values()) <= 2
    assert sum(n - 1 for n in counts.values()) <= UNRECORDED_AT_MOST
