"""At most one poller per mailbox: the lock (Redis or database), and a second `mailflow imap` that exits."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading

import pytest
from redis import Redis

from app.extensions import db
from app.ingress.imap import serve
from app.ingress.locks import DatabaseLock, LockKeeper, RedisLock, acquire_waiting
from app.liveness import provably_dead
from app.models import IngressLock
from tests.ingress.conftest import app_with
from tests.support.processes import service_env, start
from tests.support.waiting import wait_until


def test_redis_lock_has_one_holder_and_expires(redis_url):
    conn = Redis.from_url(redis_url)
    first, second = RedisLock(conn, "imap:box", ttl=0.3), RedisLock(conn, "imap:box", ttl=0.3)
    assert first.acquire() and not second.acquire()
    assert first.refresh() and not second.refresh()
    assert wait_until(second.acquire, timeout=5)  # first stopped refreshing: the lock expired
    assert not first.refresh()
    second.release()
    assert first.acquire()
    conn.close()


def test_database_lock_has_one_holder_and_expires(app):
    first, second = DatabaseLock(app, "imap:box", ttl=0.3), DatabaseLock(app, "imap:box", ttl=0.3)
    assert first.acquire() and not second.acquire()
    assert first.refresh() and not second.refresh()
    assert wait_until(second.acquire, timeout=5)
    assert not first.refresh()
    second.release()
    assert first.acquire()


def test_keeper_stops_the_poller_when_the_lock_is_taken_over(app):
    lock = DatabaseLock(app, "imap:box", ttl=0.3)
    assert lock.acquire()
    stop = threading.Event()
    keeper = LockKeeper(lock, stop)
    keeper.start()
    lock.token = "someone-else"  # as if another poller took the row over
    assert stop.wait(5) and keeper.lost.is_set()
    keeper.close()


NAME = "imap:lists@example.org@127.0.0.1:1/INBOX"


@pytest.fixture
def lock_log(caplog):
    """Warnings of app.ingress.locks (Alembic's fileConfig disables loggers that existed before it ran)."""
    logging.getLogger("app.ingress.locks").disabled = False
    with caplog.at_level(logging.WARNING, logger="app.ingress.locks"):
        yield caplog


def lock_is_held(redis_url: str | None, name: str) -> bool:
    if redis_url:
        with Redis.from_url(redis_url) as conn:
            return bool(conn.exists(f"mailflow:lock:{name}"))
    db.session.expire_all()
    return db.session.get(IngressLock, name) is not None


def _lock(kind: str, app, redis_url: str, ttl: float, name: str = "imap:box"):
    return (
        RedisLock(Redis.from_url(redis_url), name, ttl) if kind == "redis" else DatabaseLock(app, name, ttl)
    )


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("kind", ["redis", "database"])
def test_a_dead_holder_on_this_host_loses_the_lock_at_once(app, redis_url, kind, lock_log):
    dead = _lock(kind, app, redis_url, ttl=600)
    dead.token = f"{socket.gethostname()[:30]}:{_dead_pid()}:cafe"
    assert dead.acquire()
    waiting = _lock(kind, app, redis_url, ttl=600)
    assert acquire_waiting(waiting, threading.Event(), "test poller")  # long before the 600 s ttl
    assert waiting.holder() == waiting.token
    assert "a dead process on this host" in lock_log.text and "waiting" not in lock_log.text


@pytest.mark.parametrize("kind", ["redis", "database"])
def test_a_live_holder_is_waited_for_and_the_wait_said_once(app, redis_url, kind, lock_log):
    live = _lock(kind, app, redis_url, ttl=0.6)
    live.token = f"{socket.gethostname()[:30]}:{os.getpid()}:beef"  # alive: this very process
    assert live.acquire()
    stop = threading.Event()
    keeper = LockKeeper(live, stop)
    keeper.start()
    waiting = _lock(kind, app, redis_url, ttl=0.6)
    taken = threading.Event()
    thread = threading.Thread(
        target=lambda: acquire_waiting(waiting, threading.Event(), "test") and taken.set()
    )
    thread.start()
    assert not taken.wait(2)  # three ttls: the keeper holds it, the second one waits
    keeper.finished.set()  # the holder hangs (stops refreshing without releasing): the lock expires
    assert taken.wait(10)
    thread.join()
    assert lock_log.text.count("waiting for it") == 1
    assert waiting.holder() == waiting.token


def test_another_hosts_holder_is_never_provably_dead():
    assert not provably_dead(f"elsewhere.example:{_dead_pid()}:cafe")
    assert not provably_dead(f"{socket.gethostname()[:30]}:{os.getpid()}:cafe")
    assert provably_dead(f"{socket.gethostname()[:30]}:{_dead_pid()}:cafe")
    assert not provably_dead("0123456789abcdef")  # a token from before holders were named


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "database"])
def test_a_second_poller_for_the_same_mailbox_waits_and_says_so(settings, redis_url, with_redis, tmp_path):
    extra = {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": "1", "IMAP_USERNAME": "lists@example.org"}
    if with_redis:
        extra["REDIS_URL"] = redis_url
    with app_with(settings, **extra) as app:
        stop = threading.Event()
        first = threading.Thread(target=serve, args=(app, stop), daemon=True)
        first.start()  # holds the lock; its connection attempts fail and back off
        log = tmp_path / "second.log"
        process = start(["app.cli", "imap"], service_env(settings, **extra), log)
        try:
            assert wait_until(lambda: lock_is_held(redis_url if with_redis else None, NAME))
            assert wait_until(lambda: "waiting for it" in log.read_text(), timeout=60), log.read_text()
            assert process.poll() is None  # it waits, it does not exit into a restart loop
        finally:
            process.terminate()
            process.wait(timeout=30)
            stop.set()
            first.join(timeout=30)
        assert process.returncode == 0  # SIGTERM while waiting: a clean stop
        assert log.read_text().count("waiting for it") == 1
