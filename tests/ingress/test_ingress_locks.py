"""At most one poller per mailbox: the lock (Redis or database), and a second `mailflow imap` that exits."""

from __future__ import annotations

import threading

import pytest
from redis import Redis

from app.extensions import db
from app.ingress.imap import PollerBusy, serve
from app.ingress.locks import DatabaseLock, LockKeeper, RedisLock
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


def lock_is_held(redis_url: str | None, name: str) -> bool:
    if redis_url:
        with Redis.from_url(redis_url) as conn:
            return bool(conn.exists(f"mailflow:lock:{name}"))
    db.session.expire_all()
    return db.session.get(IngressLock, name) is not None


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "database"])
def test_a_second_poller_for_the_same_mailbox_is_refused(settings, redis_url, with_redis):
    extra = {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": "1", "IMAP_USERNAME": "lists@example.org"}
    if with_redis:
        extra["REDIS_URL"] = redis_url
    with app_with(settings, **extra) as app:
        stop = threading.Event()
        first = threading.Thread(target=serve, args=(app, stop), daemon=True)
        first.start()  # holds the lock; its connection attempts fail and back off
        try:
            assert wait_until(lambda: lock_is_held(redis_url if with_redis else None, NAME))
            with pytest.raises(PollerBusy, match="already running for lists@example.org@127.0.0.1:1/INBOX"):
                serve(app, threading.Event())
            process = start(["app.cli", "imap"], service_env(settings, **extra))
            _, err = process.communicate(timeout=60)
            assert process.returncode == 1
            assert err.decode().strip().splitlines()[-1] == (
                "mailflow imap: another IMAP poller is already running for lists@example.org@127.0.0.1:1/INBOX"
            )
        finally:
            stop.set()
            first.join(timeout=30)
