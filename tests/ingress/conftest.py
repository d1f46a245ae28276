"""Fixtures for the ingress tests: an app bound to real Redis, built with extra settings per test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.jobs.queues import close_redis
from app.models import Post
from tests.support.db import truncate_all


@contextmanager
def app_with(settings: dict, **extra: str) -> Iterator[Flask]:
    """An app on the test database with extra MAILFLOW_* overrides, tables emptied before and after."""
    app = create_app({**settings, **extra})
    with app.app_context():
        truncate_all()
        try:
            yield app
        finally:
            db.session.remove()
            truncate_all()
            db.engine.dispose()
            close_redis(app)


@pytest.fixture
def queued_app(settings, redis_url):
    with app_with(settings, REDIS_URL=redis_url, MAX_MESSAGE_SIZE="20000") as app:
        yield app


def post_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Post))


def posts() -> list[Post]:
    db.session.expire_all()
    return list(db.session.scalars(select(Post).order_by(Post.id)))
