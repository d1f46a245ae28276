"""The enqueue helpers against a real Redis: many jobs in one round trip, in order, with their arguments."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from app import create_app
from app.jobs import tasks
from app.jobs.queues import Job, QueueName, enqueue_many, redis_connection


def test_enqueue_many_puts_every_job_on_the_queue_in_order(settings, redis_url):
    settings["REDIS_URL"] = redis_url
    app = create_app(settings)
    with app.app_context():
        enqueue_many(Job.DELIVER, [(7, [1, 2]), (7, [3]), (8, [4, 5, 6])])
        enqueue_many(Job.DELIVER, [])
        redis_connection().close()
    conn = Redis.from_url(redis_url)
    jobs = Queue(QueueName.DELIVERIES.value, connection=conn).get_jobs()
    conn.close()
    assert [job.args for job in jobs] == [(7, [1, 2]), (7, [3]), (8, [4, 5, 6])]
    assert {job.func_name for job in jobs} == {"app.jobs.tasks.deliver"}
    assert all(job.timeout == 600 for job in jobs)


def test_every_job_name_is_an_entry_point_in_tasks():
    """Jobs are enqueued by dotted path (no import of the work): a typo there must fail here, not in a worker."""
    for job in Job:
        module, _, name = job.value.rpartition(".")
        assert module == tasks.__name__ and callable(getattr(tasks, name)), job
        assert job.queue in QueueName


def test_jobs_run_from_their_own_queues():
    assert Job.PROCESS_POST.queue is QueueName.POSTS
    assert Job.DELIVER.queue is QueueName.DELIVERIES
    assert Job.IMPORT_MEMBERS.queue is QueueName.DEFAULT
    assert Job.SEND_SYSTEM_MAIL.queue is QueueName.DEFAULT
