"""Run RQ workers: long-lived (no fork per job), reconciling the database against the queues."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from rq import Queue, SimpleWorker

from app.jobs.queues import ALL_QUEUES, redis_connection
from app.jobs.reconcile import start_reconciler

log = logging.getLogger(__name__)


class MailFlowWorker(SimpleWorker):
    """Runs jobs in its own process (no ~9 ms fork each); a reconciler thread runs beside the jobs."""

    flask_app: Flask


def reconcile_safely(app: Flask) -> None:
    """One reconciliation pass that never takes the worker down."""
    from rq.exceptions import StopRequested

    from app.jobs.reconcile import reconcile_all

    try:
        with app.app_context():
            reconcile_all()
    except StopRequested:
        raise  # SIGTERM arrived mid-pass: let RQ shut the worker down
    except Exception:
        log.exception("reconciliation failed; the next maintenance pass tries again")


def run_worker(app: Flask, burst: bool = False, name: str | None = None) -> bool:
    """Work the MailFlow queues until stopped (or until empty with burst)."""
    from app.jobs.tasks import bind_worker_app

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
    # A thread, not RQ's maintenance pass: that runs only between jobs, and a job to a slow relay can take
    # minutes, while a dead worker's copies must move within seconds of its lease running out.
    stop = threading.Event()
    if not burst:
        start_reconciler(app, stop)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
