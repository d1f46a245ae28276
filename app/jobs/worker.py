"""Run RQ workers: long-lived (no fork per job), reconciling the database against the queues."""

from __future__ import annotations

import logging

from flask import Flask
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from app.jobs.queues import ALL_QUEUES, redis_connection
from app.jobs.reconcile import reconcile_all
from app.jobs.tasks import bind_worker_app

log = logging.getLogger(__name__)


class MailFlowWorker(SimpleWorker):
    """Runs jobs in its own process (no ~9 ms fork each) and reconciles on each maintenance pass."""

    flask_app: Flask

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        reconcile_safely(self.flask_app)


def reconcile_safely(app: Flask) -> None:
    """One reconciliation pass that never takes the worker down."""
    try:
        with app.app_context():
            reconcile_all()
    except StopRequested:
        raise  # SIGTERM arrived mid-pass: let RQ shut the worker down
    except Exception:
        log.exception("reconciliation failed; the next maintenance pass tries again")


def run_worker(app: Flask, burst: bool = False, name: str | None = None) -> bool:
    """Work the MailFlow queues until stopped (or until empty with burst)."""
    conn = redis_connection(app)
    if conn is None:
        raise SystemExit("mailflow worker needs MAILFLOW_REDIS_URL (without it jobs run in-process)")
    bind_worker_app(app)
    queues = [Queue(q.value, connection=conn) for q in ALL_QUEUES]
    interval = app.config["MAILFLOW"].RECONCILE_SECONDS
    # worker_ttl - 15 is how long an idle worker blocks on the queues: keep it to the reconcile interval.
    worker = MailFlowWorker(
        queues, connection=conn, name=name, maintenance_interval=interval, worker_ttl=interval + 15
    )
    worker.flask_app = app
    reconcile_safely(app)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
