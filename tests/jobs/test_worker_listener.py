"""The worker's command listener (RQ's pubsub thread) is stopped before its connection is closed.

RQ unsubscribes, then stops the thread and waits one second for it. When the job's thread is held up between
those two calls, the listener has read the unsubscribe reply and gone back to its 60 s wait; RQ then closes
the connection under it, and the listener's retry opens a new socket that nobody closes (a ResourceWarning
in a later garbage collection: tests/pipeline/test_list_loop.py on PostgreSQL, now and then).
"""

from __future__ import annotations

import time

from redis import Redis
from rq import Queue

from app.jobs.worker import MailFlowWorker


def test_the_listener_ends_before_its_connection_closes_even_when_the_stop_comes_late(redis_url):
    conn = Redis.from_url(redis_url)
    try:
        worker = MailFlowWorker([Queue("listener-test", connection=conn)], connection=conn)
        worker.subscribe()
        thread, pubsub = worker.pubsub_thread, worker.pubsub
        deadline = time.monotonic() + 5
        while not pubsub.subscribed and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the listener is in its 60 s wait for a command
        stop = thread.stop

        def late_stop() -> None:
            time.sleep(0.5)  # the job's thread held up for half a second before it stops the listener
            stop()

        thread.stop = late_stop
        worker.unsubscribe()
        assert not thread.is_alive()  # it ended by itself: nothing closed its connection under it
        assert pubsub.connection is None
    finally:
        conn.close()
