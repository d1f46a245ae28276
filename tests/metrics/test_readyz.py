"""/readyz: 200 when the database, Redis, the queue backlog and the workers are fine; 503 naming what is not."""

from __future__ import annotations

import pytest
from rq import Queue, Worker

from app import create_app
from app.extensions import db
from app.jobs.queues import ALL_QUEUES, close_redis, redis_connection
from tests.support.smtp import free_port


def test_without_redis_only_the_database_matters(app, client):
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json["status"] == "ready" and answer.json["failed"] == []
    assert answer.json["checks"]["database"] == {"ok": True, "detail": "reachable"}


def test_no_live_worker_is_503_naming_the_workers(smtp_app):
    answer = smtp_app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["failed"] == ["workers"]
    assert "mailflow worker" in answer.json["checks"]["workers"]["detail"]


@pytest.fixture
def live_worker(smtp_app):
    conn = redis_connection(smtp_app)
    worker = Worker([Queue(q.value, connection=conn) for q in ALL_QUEUES], connection=conn, name="ready-test")
    worker.register_birth()
    yield worker
    worker.register_death()


def test_a_live_worker_makes_it_ready(smtp_app, live_worker):
    answer = smtp_app.test_client().get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"]["workers"] == {"ok": True, "detail": "1 alive"}


def test_a_backlog_over_the_limit_is_503(smtp_app, live_worker):
    smtp_app.config["MAILFLOW"] = smtp_app.config["MAILFLOW"].__class__(
        **{**smtp_app.config["MAILFLOW"].__dict__, "READY_MAX_BACKLOG": 1}
    )
    queue = Queue(ALL_QUEUES[0].value, connection=redis_connection(smtp_app))
    for _ in range(2):
        queue.enqueue("app.jobs.tasks.process_post", 0)
    answer = smtp_app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["failed"] == ["backlog"]
    assert answer.json["checks"]["backlog"]["detail"] == "2 jobs waiting (at most 1)"


def test_redis_down_is_503_naming_redis_without_a_password(settings):
    settings["REDIS_URL"] = f"redis://:hunter2secret@127.0.0.1:{free_port()}/5"
    app = create_app(settings)
    with app.app_context():
        answer = app.test_client().get("/readyz")
        db.engine.dispose()
        close_redis(app)
    assert answer.status_code == 503 and answer.json["failed"] == ["redis", "backlog", "workers"]
    assert "hunter2secret" not in answer.get_data(as_text=True)
