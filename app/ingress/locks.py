"""Locks with a time to live: at most one poller per mailbox. Redis when configured, else the database."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from typing import Protocol, cast

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.jobs.queues import redis_connection
from app.models import IngressLock
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
KEY_PREFIX = "mailflow:lock:"
# Compare-and-act scripts: only the holder (same token) may extend or release a Redis lock.
REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lock(Protocol):
    name: str
    ttl: float

    def acquire(self) -> bool:
        """Take the lock; False when another holder has it."""

    def refresh(self) -> bool:
        """Extend the lock; False when it is no longer ours."""

    def release(self) -> None:
        """Give the lock up if it is still ours."""


class RedisLock:
    """SET NX PX with a random token."""

    def __init__(self, conn: Redis, name: str, ttl: float) -> None:
        self.conn, self.name, self.ttl = conn, name, ttl
        self.key, self.token = KEY_PREFIX + name, uuid.uuid4().hex

    def acquire(self) -> bool:
        return bool(self.conn.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    def refresh(self) -> bool:
        return bool(self.conn.eval(REFRESH, 1, self.key, self.token, int(self.ttl * 1000)))

    def release(self) -> None:
        self.conn.eval(RELEASE, 1, self.key, self.token)


class DatabaseLock:
    """A row per lock name; an expired row may be taken over by anyone."""

    def __init__(self, app: Flask, name: str, ttl: float) -> None:
        self.app, self.name, self.ttl, self.token = app, name, ttl, uuid.uuid4().hex

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
