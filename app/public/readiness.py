"""/readyz: can this instance do its work now? Database, Redis, queue backlog, at least one live worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs.queues import ALL_QUEUES, redis_connection
from app.redaction import redact


@dataclass(frozen=True)
class Check:
    """One check's verdict: ok, and a short sentence for the operator."""

    ok: bool
    detail: str


def database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check(False, f"unreachable ({type(exc).__name__})")
    return Check(True, "reachable")


def redis() -> Check:
    conn = redis_connection()
    if conn is None:
        return Check(True, "not configured: jobs run in-process")
    try:
        conn.ping()
    except RedisError as exc:
        return Check(False, redact(f"unreachable ({exc})"))
    return Check(True, "reachable")


def backlog() -> Check:
    conn = redis_connection()
    if conn is None:
        return Check(True, "no queues: jobs run in-process")
    limit = current_app.config["MAILFLOW"].READY_MAX_BACKLOG
    try:
        waiting = sum(Queue(name.value, connection=conn).count for name in ALL_QUEUES)
    except RedisError:
        return Check(False, "unknown: Redis is unreachable")
    return Check(waiting <= limit, f"{waiting} jobs waiting (at most {limit})")


def workers() -> Check:
    conn = redis_connection()
    if conn is None:
        return Check(True, "no workers needed: jobs run in-process")
    try:
        alive = Worker.count(connection=conn)
    except RedisError:
        return Check(False, "unknown: Redis is unreachable")
    return Check(alive > 0, f"{alive} alive" if alive else "none alive: start `mailflow worker`")


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "redis": redis,
    "backlog": backlog,
    "workers": workers,
}


def readiness() -> tuple[dict, int]:
    """Every check's verdict as JSON, and 200 when all pass, else 503."""
    results = {name: check() for name, check in CHECKS.items()}
    ready = all(r.ok for r in results.values())
    body = {
        "status": "ready" if ready else "unready",
        "failed": [name for name, r in results.items() if not r.ok],
        "checks": {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()},
    }
    return body, 200 if ready else 503
