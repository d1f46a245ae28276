"""A worker killed with kill -9 and started again: its RQ scheduler resumes at once, not a minute later."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from redis import Redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from app.jobs.queues import QueueName
from app.jobs.worker import clear_dead_scheduler_locks
from tests.delivery.workers import kill9, start_worker, stop, wait_until, worker_env

LOCK = RQScheduler.get_locking_key(QueueName.DELIVERIES.value)
TIMEOUT = 60  # a bound on a hung test; the restarted scheduler takes the lock within seconds


def _holder(conn: Redis) -> bytes | None:
    return conn.get(LOCK)


def _running_scheduler(conn: Redis) -> bool:
    """The lock is taken and its scheduler process has registered (its pid is known)."""
    holder = _holder(conn)
    return holder is not None and conn.hget(SCHEDULER_KEY_TEMPLATE % holder.decode(), "pid") not in (
        None,
        b"0",
    )


def _fake_scheduler(conn: Redis, name: str, pid: int, host: str) -> None:
    conn.set(LOCK, name, ex=600)
    conn.hset(SCHEDULER_KEY_TEMPLATE % name, mapping={"hostname": host, "pid": str(pid)})


def test_only_a_dead_local_schedulers_lock_is_freed(redis_url):
    conn = Redis.from_url(redis_url)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    queues = [QueueName.DELIVERIES.value]
    _fake_scheduler(conn, "live", os.getpid(), socket.gethostname())
    assert clear_dead_scheduler_locks(conn, queues) == 0 and _holder(conn) == b"live"
    _fake_scheduler(conn, "remote", gone.pid, "another-host.example")
    assert clear_dead_scheduler_locks(conn, queues) == 0 and _holder(conn) == b"remote"
    _fake_scheduler(conn, "dead", gone.pid, socket.gethostname())
    assert clear_dead_scheduler_locks(conn, queues) == 1 and _holder(conn) is None
    conn.close()


def test_a_restarted_worker_takes_the_dead_schedulers_lock(settings, redis_url, tmp_path):
    env = worker_env({**settings, "REDIS_URL": redis_url})
    log = tmp_path / "worker.log"
    conn = Redis.from_url(redis_url)
    first = start_worker(env, log)
    try:
        wait_until(lambda: _running_scheduler(conn), TIMEOUT, "the first scheduler", log)
        dead = _holder(conn)
        kill9(first)
        assert _holder(conn) == dead  # the lock outlives its holder by up to a minute
        second = start_worker(env, log)
        try:
            wait_until(lambda: _holder(conn) not in (None, dead), TIMEOUT, "the restarted scheduler", log)
        finally:
            stop(second)
    finally:
        stop(first)
        conn.close()
    assert "freed the RQ scheduler lock" in log.read_text()
