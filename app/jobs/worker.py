"""Run RQ workers: long-lived (no fork per job), reconciling the database against the queues."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from app.jobs.queues import ALL_QUEUES, redis_connection
from app.jobs.reconcile import reconcile_all, start_reconciler
from app.jobs.tasks import bind_worker_app
from app.liveness import HOST_CHARS, provably_dead

log = logging.getLogger(__name__)
LISTENER_STOP_SECONDS = 10.0  # the command listener's own end, after the unsubscribe reply wakes it
# Delete the lock only if the dead holder still has it (a live scheduler may have taken it meanwhile).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class MailFlowWorker(SimpleWorker):
    """Runs jobs in its own process (no ~9 ms fork each); a reconciler thread runs beside the jobs."""

    flask_app: Flask

    def unsubscribe(self) -> None:
        """RQ's, in an order that cannot leave a socket open: stop the command listener, then unsubscribe.

        The unsubscribe reply wakes the listener, which sees it was stopped and closes its own connection.
        RQ unsubscribes first and closes the connection after waiting one second: a listener that had read
        the reply before being stopped was back in its 60 s wait, and its retry reopened the closed socket.
        """
        thread, pubsub = self.pubsub_thread, self.pubsub
        if thread is None or pubsub is None:
            return
        thread.stop()
        pubsub.unsubscribe()
        thread.join(timeout=LISTENER_STOP_SECONDS)
        if thread.is_alive():  # closing under it is what leaks: it closes the connection when it ends
            log.warning("worker %s: its command listener has not stopped yet", self.name)
        self.pubsub_thread = None

    def run_maintenance_tasks(self) -> None:
        # RQ starts its scheduler here when it can take the lock: free a dead scheduler's lock first.
        clear_dead_scheduler_locks(self.connection, [q.name for q in self.queues])
        super().run_maintenance_tasks()


def clear_dead_scheduler_locks(conn: Redis, queue_names: list[str]) -> int:
    """Delete RQ scheduler locks whose holder was a process of this host that is gone; returns how many.

    A scheduler killed with its worker (kill -9) keeps its lock for a minute; the worker restarted in its
    place would otherwise schedule nothing until then. A holder on another host is waited for.
    """
    from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

    freed = 0
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        holder = _text(conn.get(key))
        if not holder:
            continue
        info = {_text(k): _text(v) for k, v in conn.hgetall(SCHEDULER_KEY_TEMPLATE % holder).items()}
        host, pid = info.get("hostname", ""), info.get("pid", "")
        if host and pid and provably_dead(f"{host[:HOST_CHARS]}:{pid}:rq"):
            freed += int(conn.eval(RELEASE, 1, key, holder))
            log.warning(
                "freed the RQ scheduler lock of %s held by a dead process (%s pid %s)", name, host, pid
            )
    return freed


def reconcile_safely(app: Flask) -> None:
    """One reconciliation pass that never takes the worker down."""
    try:
        with app.app_context():
            reconcile_all()
    except StopRequested:
        raise  # SIGTERM arrived mid-pass: let RQ shut the worker down
    except Exception:
        log.exception("reconciliation failed; the next maintenance pass tries again")


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


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
    clear_dead_scheduler_locks(conn, [q.name for q in queues])
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
        _close_scheduler_connection(worker)


def _close_scheduler_connection(worker: MailFlowWorker) -> None:
    """Close the Redis client RQ's scheduler made for itself (RQ leaves it to the garbage collector)."""
    scheduler = worker.scheduler
    conn = getattr(scheduler, "_connection", None) if scheduler is not None else None
    if conn is not None:
        conn.close()
        scheduler._connection = None  # type: ignore[union-attr]  # RQ makes a new one if it is used again
