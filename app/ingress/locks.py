"""Locks with a time to live: at most one poller per mailbox. Redis when configured, else the database.

A lock's token names its holder (host:pid:random), so a restarted process can see that the holder is a dead
process on this very host and take the lock at once instead of waiting for it to expire.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Protocol, cast

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.jobs.queues import redis_connection
from app.liveness import holder_token, provably_dead
from app.models import IngressLock
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
KEY_PREFIX = "mailflow:lock:"
# Compare-and-act scripts: only the holder (same token) may extend or release a Redis lock.
REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
TAKE_OVER = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end "
    "return 0"
)
WAIT_POLL_SECONDS = 1.0


class Lock(Protocol):
    name: str
    ttl: float

    def acquire(self) -> bool:
        """Take the lock; False when another holder has it."""

    def refresh(self) -> bool:
        """Extend the lock; False when it is no longer ours."""

    def release(self) -> None:
        """Give the lock up if it is still ours."""

    def holder(self) -> str | None:
        """The token of whoever holds the lock now (None when nobody does, or it expired)."""

    def take_from(self, holder: str) -> bool:
        """Take the lock from this (dead) holder; False when someone else changed it first."""


class RedisLock:
    """SET NX PX with a random token."""

    def __init__(self, conn: Redis, name: str, ttl: float) -> None:
        self.conn, self.name, self.ttl = conn, name, ttl
        self.key, self.token = KEY_PREFIX + name, holder_token()

    def acquire(self) -> bool:
        return bool(self.conn.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    def refresh(self) -> bool:
        return bool(self.conn.eval(REFRESH, 1, self.key, self.token, int(self.ttl * 1000)))

    def release(self) -> None:
        self.conn.eval(RELEASE, 1, self.key, self.token)

    def holder(self) -> str | None:
        value = self.conn.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    def take_from(self, holder: str) -> bool:
        return bool(self.conn.eval(TAKE_OVER, 1, self.key, holder, self.token, int(self.ttl * 1000)))


class DatabaseLock:
    """A row per lock name; an expired row may be taken over by anyone."""

    def __init__(self, app: Flask, name: str, ttl: float) -> None:
        self.app, self.name, self.ttl, self.token = app, name, ttl, holder_token()

    def _claim(self, takeover: bool) -> bool:
        now = utcnow()
        condition = IngressLock.owner == self.token
        if takeover:
            condition = condition | (IngressLock.expires_at < now)
        result = db.session.execute(
            update(IngressLock)
            .where(IngressLock.name == self.name, condition)
            .values(owner=self.token, expires_at=now + timedelta(seconds=self.ttl))
        )
        db.session.commit()
        return bool(cast(CursorResult, result).rowcount)

    def acquire(self) -> bool:
        with self.app.app_context():
            if self._claim(takeover=True):
                return True
            db.session.add(
                IngressLock(
                    name=self.name, owner=self.token, expires_at=utcnow() + timedelta(seconds=self.ttl)
                )
            )
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                return False
            return True

    def refresh(self) -> bool:
        with self.app.app_context():
            return self._claim(takeover=False)

    def holder(self) -> str | None:
        with self.app.app_context():
            row = db.session.get(IngressLock, self.name, populate_existing=True)
            return row.owner if row is not None and row.expires_at >= utcnow() else None

    def take_from(self, holder: str) -> bool:
        with self.app.app_context():
            result = db.session.execute(
                update(IngressLock)
                .where(IngressLock.name == self.name, IngressLock.owner == holder)
                .values(owner=self.token, expires_at=utcnow() + timedelta(seconds=self.ttl))
            )
            db.session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self) -> None:
        with self.app.app_context():
            db.session.execute(
                delete(IngressLock).where(IngressLock.name == self.name, IngressLock.owner == self.token)
            )
            db.session.commit()


def make_lock(app: Flask, name: str, ttl: float) -> Lock:
    """The lock kind this instance uses."""
    conn = redis_connection(app)
    return RedisLock(conn, name, ttl) if conn is not None else DatabaseLock(app, name, ttl)


def acquire_waiting(lock: Lock, stop: threading.Event, what: str) -> bool:
    """Take the lock, waiting while a live holder keeps it; False only when stop is set first.

    A holder that is provably dead (this host, its pid gone) loses the lock at once; any other holder keeps
    it until it expires (at most one ttl after its process died). The wait is logged once.
    """
    said = False
    while not stop.is_set():
        try:
            if lock.acquire():
                return _taken(lock, what, said)
            holder = lock.holder()
            if holder and provably_dead(holder) and lock.take_from(holder):
                log.warning(
                    "%s: took the lock %s from %s, a dead process on this host", what, lock.name, holder
                )
                return True
        except (RedisError, SQLAlchemyError) as exc:
            holder = f"unknown ({exc})"
        if not said:
            log.warning(
                "%s: lock %s is held by %s; waiting for it (it expires at most %.0f s after its holder stops)",
                what,
                lock.name,
                holder,
                lock.ttl,
            )
            said = True
        stop.wait(min(WAIT_POLL_SECONDS, lock.ttl / 3))
    return False


def _taken(lock: Lock, what: str, waited: bool) -> bool:
    if waited:
        log.warning("%s: lock %s is free; taken", what, lock.name)
    return True


class LockKeeper(threading.Thread):
    """Refreshes a held lock every ttl/3; sets `lost` (and `stop`) when it cannot keep it for a whole ttl."""

    def __init__(self, lock: Lock, stop: threading.Event) -> None:
        super().__init__(name=f"lock-keeper {lock.name}", daemon=True)
        self.lock, self.stop, self.lost = lock, stop, threading.Event()
        self.finished = threading.Event()

    def run(self) -> None:
        interval, failing_since = self.lock.ttl / 3, 0.0
        while not self.finished.wait(interval):
            try:
                kept = self.lock.refresh()
                failing_since = 0.0
            except (RedisError, SQLAlchemyError) as exc:
                failing_since += interval
                log.warning("could not refresh lock %s (%s)", self.lock.name, exc)
                kept = failing_since < self.lock.ttl
            if not kept:
                log.error("lost lock %s: another poller may run; stopping", self.lock.name)
                self.lost.set()
                self.stop.set()
                return

    def close(self) -> None:
        """Stop refreshing (wait for a refresh under way), then release the lock."""
        self.finished.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=self.lock.ttl)
        try:
            self.lock.release()
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("could not release lock %s (%s); it expires by itself", self.lock.name, exc)
