"""The one place jobs are enqueued: RQ on MAILFLOW_REDIS_URL, or an in-process thread for development."""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.utils import import_attribute
from sqlalchemy import update

from app.extensions import db
from app.models import Post
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
# A post's copies go out in at least this many delivery jobs (of at least SHARE_FLOOR copies), so that
# every worker takes a share: with a relay that answers in half a second, one batch of 500 kept one worker
# busy for four minutes while the others idled, and a crash of that worker delayed the whole post.
SHARES = 16
SHARE_FLOOR = 10


class QueueName(enum.StrEnum):
    POSTS = "mailflow-posts"
    DELIVERIES = "mailflow-deliveries"
    DEFAULT = "mailflow-default"


class Job(enum.StrEnum):
    """The RQ entry points in app/jobs/tasks.py, by dotted path: enqueuing one needs no import of the work."""

    PROCESS_POST = "app.jobs.tasks.process_post"
    DELIVER = "app.jobs.tasks.deliver"
    IMPORT_MEMBERS = "app.jobs.tasks.import_members"
    SEND_SYSTEM_MAIL = "app.jobs.tasks.send_system_mail"
    WARN_ABOUT_BOUNCES = "app.jobs.tasks.warn_about_bounces"
    SEND_WEBHOOKS = "app.jobs.tasks.send_webhooks"

    @property
    def queue(self) -> QueueName:
        """The queue this job runs from."""
        return _JOB_QUEUES.get(self, QueueName.DEFAULT)


_JOB_QUEUES = {Job.PROCESS_POST: QueueName.POSTS, Job.DELIVER: QueueName.DELIVERIES}
JOB_TIMEOUT = 600
ALL_QUEUES = (QueueName.POSTS, QueueName.DELIVERIES, QueueName.DEFAULT)
_local_executor: ThreadPoolExecutor | None = None


def redis_connection(app: Flask | None = None) -> Redis | None:
    """The app's Redis connection, or None when jobs run in-process."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config["MAILFLOW"].REDIS_URL
    if not url:
        return None
    conn = app.extensions.get("mailflow_redis")
    if conn is None:
        conn = app.extensions["mailflow_redis"] = Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=3
        )
    return conn


def close_redis(app: Flask) -> None:
    """Close the app's Redis connection pool (shutdown, tests)."""
    conn = app.extensions.pop("mailflow_redis", None)
    if conn is not None:
        conn.close()


def enqueue(job: Job, *args, delay: float = 0, at_front: bool = False) -> None:
    """Run job(*args) in a worker: RQ when Redis is configured, else a local thread. Raises RedisError.

    A delayed job never runs before `delay` has passed: RQ keeps scheduled times in whole seconds,
    rounded down, so the time is rounded up here (a retry that ran early found its copies not yet due).
    """
    conn = redis_connection()
    if conn is None:
        _run_locally(job, args, delay)
        return
    rq_queue = Queue(job.queue.value, connection=conn)
    if delay > 0:
        rq_queue.enqueue_at(not_before(delay), job.value, *args, job_timeout=JOB_TIMEOUT)
    else:
        rq_queue.enqueue(job.value, *args, job_timeout=JOB_TIMEOUT, at_front=at_front)


def not_before(delay: float) -> datetime:
    """The first whole second at least `delay` seconds from now (UTC)."""
    at = utcnow() + timedelta(seconds=delay)
    return at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at


def job_size(copies: int, most: int) -> int:
    """Copies per delivery job: at most `most`, and few enough that SHARES jobs share the copies out."""
    return max(min(most, math.ceil(copies / SHARES)), min(SHARE_FLOOR, most), 1)


def share_out(ids: Sequence[int], most: int) -> list[list[int]]:
    """The ids in delivery jobs of job_size."""
    size = job_size(len(ids), most)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def enqueue_many(job: Job, arg_tuples: Sequence[tuple]) -> None:
    """Run job(*args) for every args tuple, enqueued in one Redis round trip. Raises RedisError."""
    conn = redis_connection()
    if conn is None:
        for args in arg_tuples:
            _run_locally(job, args, 0)
        return
    if not arg_tuples:
        return
    rq_queue = Queue(job.queue.value, connection=conn)
    # One pipeline for all the jobs (RQ executes it): a single round trip instead of several per job.
    rq_queue.enqueue_many([Queue.prepare_data(job.value, args, timeout=JOB_TIMEOUT) for args in arg_tuples])


def enqueue_posts(post_ids: Sequence[int]) -> bool:
    """Enqueue processing of committed posts; a Redis outage is logged and left to the reconciler."""
    try:
        enqueue_many(Job.PROCESS_POST, [(post_id,) for post_id in post_ids])
    except RedisError as exc:
        log.warning(
            "Redis unreachable (%s): posts %s are stored and will be enqueued later", exc, list(post_ids)
        )
        return False
    if post_ids:
        db.session.execute(update(Post).where(Post.id.in_(post_ids)).values(queued_at=utcnow()))
        db.session.commit()
    return True


def enqueue_new_posts(post_ids: Sequence[int]) -> bool:
    """Enqueue posts committed with queued_at already set (ingress: one commit per message, not two).

    When Redis is unreachable, queued_at is cleared so the reconciler enqueues them as soon as it is back.
    """
    try:
        enqueue_many(Job.PROCESS_POST, [(post_id,) for post_id in post_ids])
    except RedisError as exc:
        log.warning(
            "Redis unreachable (%s): posts %s are stored and will be enqueued later", exc, list(post_ids)
        )
        db.session.execute(update(Post).where(Post.id.in_(post_ids)).values(queued_at=None))
        db.session.commit()
        return False
    return True


def _run_locally(job: Job, args: tuple, delay: float) -> None:
    global _local_executor
    if _local_executor is None:
        log.warning("MAILFLOW_REDIS_URL is not set: jobs run in-process (development only)")
        _local_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailflow-job")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _local_executor.submit(_in_app, app, job, args, delay)


def _in_app(app: Flask, job: Job, args: tuple, delay: float) -> None:
    if delay:
        time.sleep(delay)
    with app.app_context():
        try:
            import_attribute(job.value)(*args)
        except Exception:
            log.exception("in-process job %s%r failed", job.name, args)


def wait_for_local_jobs() -> None:
    """Block until in-process jobs queued so far have run (tests and `mailflow dev` shutdown)."""
    if _local_executor is not None:
        _local_executor.submit(lambda: None).result()


def drain_local_jobs() -> None:
    """Block until no in-process job is left, including jobs those jobs queued (a CLI command's exit)."""
    while _local_executor is not None:
        wait_for_local_jobs()
        if _local_executor._work_queue.empty():  # nothing queued behind the marker we waited for
            return
