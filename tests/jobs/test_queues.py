"""The enqueue helpers against a real Redis: many jobs in one round trip, in order, with their arguments."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from app import create_app
from app.jobs.queues import QueueName, enqueue_many, redis_connection
from app.jobs.tasks import deliver


def test_enqueue_many_puts_every_job_on_the_queue_in_order(settings, redis_url):
    settings["REDIS_URL"] = redis_url
    app = create_app(settings)
    with app.app_context():
        enqueue_many(deliver, [(7, [1, 2]), (7, [3]), (8, [4, 5, 6])], queue=QueueName.DELIVERIES)
        enqueue_many(deliver, [], queue=QueueName.DELIVERIES)
        redis_connection().close()
    conn = Redis.from_url(redis_url)
    jobs = Queue(QueueName.DELIVERIES.value, connection=conn).get_jobs()
    conn.close()
    assert [job.args for job in jobs] == [(7, [1, 2]), (7, [3]), (8, [4, 5, 6])]
    assert {job.func_name for job in jobs} == {"app.jobs.tasks.deliver"}
    assert all(job.timeout == 600 for job in jobs)
