"""Archive test helpers: a stack with real Redis and an SMTP sink, posts pushed through the pipeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import ArchivedMessage, Post
from tests.support.db import truncate_all


@pytest.fixture
def stack(settings, redis_url, sink):
    """An app with real Redis (jobs wait for a burst worker) and SMTP egress to the sink."""
    controller, handler = sink
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app, handler
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def archived(list_id: int | None = None) -> list[ArchivedMessage]:
    """Every archived row (of one list), oldest first."""
    query = select(ArchivedMessage).order_by(ArchivedMessage.id)
    if list_id is not None:
        query = query.where(ArchivedMessage.list_id == list_id)
    db.session.expire_all()
    return list(db.session.scalars(query))


def newest_post() -> Post:
    db.session.expire_all()
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


@pytest.fixture
def mail_app(settings, sink):
    """An app whose egress is SMTP to the sink; jobs run in-process (no Redis)."""
    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


@pytest.fixture
def mail_client(mail_app):
    from tests.conftest import FreshContextClient

    mail_app.test_client_class = FreshContextClient
    return mail_app.test_client()
