"""Start-up checks: database reachable, schema at head, Redis reachable; one line saying what to do."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app import MIGRATIONS
from app.extensions import db

# Commands that must work on a database that is missing, empty or behind (they are how it gets fixed).
NO_SCHEMA_NEEDED = {"db", "shell", "routes", "status"}


class NotReady(RuntimeError):
    """A service cannot start: the message is one line saying what is wrong and what to do."""


def _where(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Alembic announces its context at INFO; a start-up check says one line or nothing."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(before)


def check_database(app: Flask) -> None:
    """The database answers and its schema is the one this version of MailFlow expects."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with app.app_context(), _quiet("alembic.runtime.migration"):
        url = str(db.engine.url)
        try:
            with db.engine.connect() as conn:
                current = set(MigrationContext.configure(conn).get_current_heads())
        except SQLAlchemyError as exc:
            reason = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
            raise NotReady(
                f"cannot reach the database {_where(url)} ({reason}): check MAILFLOW_DATABASE_URL "
                "and that the database server runs"
            ) from None
    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    if not current:
        raise NotReady(f"the database {_where(url)} has no MailFlow schema yet: run `mailflow db upgrade`")
    if current != heads:
        known = {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
        if current - known:
            raise NotReady(
                f"the database schema ({', '.join(sorted(current))}) is newer than this version of MailFlow "
                f"expects ({', '.join(sorted(heads))}): install the newer version"
            )
        raise NotReady(
            f"the database schema is at {', '.join(sorted(current))}, this version needs "
            f"{', '.join(sorted(heads))}: run `mailflow db upgrade`"
        )


def check_redis(app: Flask) -> None:
    """Redis answers a PING (when MAILFLOW_REDIS_URL is set)."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = app.config["MAILFLOW"].REDIS_URL
    if not url:
        return
    conn = Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        conn.ping()
    except RedisError as exc:
        raise NotReady(
            f"cannot reach Redis at {_where(url)} ({exc}): check MAILFLOW_REDIS_URL and that Redis runs"
        ) from None
    finally:
        conn.close()


def require_ready(app: Flask, name: str, database: bool = True, redis: bool = False) -> None:
    """Run the checks a command needs before it serves or joins a queue; exit 1 with one line if one fails."""
    try:
        if database:
            check_database(app)
        if redis:
            check_redis(app)
    except NotReady as exc:
        click.echo(f"mailflow {name}: {exc}", err=True)
        sys.exit(1)
