"""Chunks of one delivery job: accepted copies recorded per chunk, the fence before each, small shared jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from app.egress import Outgoing, SendResult
from app.extensions import db
from app.jobs.queues import QueueName, share_out
from app.jobs.reconcile import release_expired_leases
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline import deliver
from app.pipeline.claims import claim, fence
from app.pipeline.deliver import COMMIT_EVERY, deliver_batch
from app.pipeline.runner import process
from tests.support.factories import make_list, make_members, message

MEMBERS = 2 * COMMIT_EVERY + 5  # three chunks


def _post(members: int = MEMBERS) -> tuple[int, list[int]]:
    mlist = make_list("big@example.org", "Big")
    make_members(mlist, "alice@example.org", *[f"m{i:03d}@example.net" for i in range(members - 1)])
    post = Post(
        list_id=mlist.id,
        raw=message(to="big@example.org"),
        sha256="x",
        status=PostStatus.RECEIVED,
        mail_from="alice@example.org",
        sender="alice@example.org",
    )
    db.session.add(post)
    db.session.commit()
    process(post.id)
    ids = list(
        db.session.scalars(select(Delivery.id).where(Delivery.post_id == post.id).order_by(Delivery.id))
    )
    return post.id, ids


def _rows() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


class Thief:
    """A sender that accepts every copy and, while sending the first chunk, sees another worker take the last."""

    name = "thief"

    def __init__(self, steal: Sequence[int]) -> None:
        self.steal, self.sent = list(steal), []

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        batch = list(batch)  # a generator: the copies are built as they are taken
        if self.steal:
            with db.engine.connect() as other:  # another worker's transaction, not this job's session
                other.execute(  # as that worker's claim would, whether or not this job had claimed them yet
                    update(Delivery)
                    .where(Delivery.id.in_(self.steal))
                    .values(status=DeliveryStatus.SENDING, lease_owner="another-worker")
                )
                other.commit()
            self.steal = []
        self.sent += [c.delivery_id for c in batch]
        return [SendResult(c.delivery_id, ok=True, provider_id=f"queued as Q{c.delivery_id}") for c in batch]

    def close(self) -> None:
        pass


def test_accepted_copies_are_recorded_each_with_its_own_provider_id(smtp_app, sink):
    post_id, ids = _post()
    deliver_batch(post_id, ids)
    rows = _rows()
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert len({r.provider_message_id for r in rows}) == 1  # the test sink says the same to everyone
    assert all(r.sent_at is not None and r.lease_until is None and r.last_error == "" for r in rows)
    assert len(sink[1].messages) == MEMBERS
    assert db.session.get(Post, post_id).status == PostStatus.DISTRIBUTED


def test_a_chunk_taken_back_meanwhile_is_not_sent(smtp_app, monkeypatch):
    post_id, ids = _post()
    last_chunk = ids[2 * COMMIT_EVERY :]
    thief = Thief(last_chunk)
    monkeypatch.setattr(deliver, "make_sender", lambda *_: thief)
    deliver_batch(post_id, ids)
    assert thief.sent == ids[: 2 * COMMIT_EVERY]
    rows = {r.id: r for r in _rows()}
    assert all(rows[i].provider_message_id == f"queued as Q{i}" for i in thief.sent)
    assert {(rows[i].status, rows[i].lease_owner) for i in last_chunk} == {
        (DeliveryStatus.SENDING, "another-worker")
    }


def test_the_fence_reads_a_fresh_lease_and_renews_one_running_short(smtp_app):
    _, ids = _post(members=3)
    copies = claim(ids, "worker-a")
    leased_until = {r.id: r.lease_until for r in _rows()}
    assert [c.id for c in fence(copies, "worker-a")] == ids
    db.session.commit()
    assert {r.id: r.lease_until for r in _rows()} == leased_until  # nothing written
    assert fence(copies, "worker-b") == []
    short = utcnow() + timedelta(seconds=3)
    db.session.execute(update(Delivery).where(Delivery.id == ids[0]).values(lease_until=short))
    db.session.commit()
    assert [c.id for c in fence(copies, "worker-a")] == ids
    db.session.commit()
    assert min(r.lease_until for r in _rows()) > utcnow() + timedelta(seconds=20)


def test_a_post_is_shared_out_so_every_worker_gets_some():
    assert [len(job) for job in share_out(range(600), 500)] == [38] * 15 + [30]
    assert {len(job) for job in share_out(range(100_000), 500)} == {500}
    assert [len(job) for job in share_out(range(25), 500)] == [10, 10, 5]
    assert share_out(range(3), 2) == [[0, 1], [2]]
    assert share_out([], 500) == []


def test_a_dead_workers_copies_go_to_the_front_of_the_queue_in_small_jobs(smtp_app, redis_url):
    post_id, ids = _post()
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    queue = Queue(QueueName.DELIVERIES.value, connection=conn)
    queue.enqueue("app.jobs.tasks.deliver", 999, [1])  # a job that was waiting already
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    claim(ids, f"{socket.gethostname()[:30]}:{gone.pid}:dead")
    claim([], f"{socket.gethostname()[:30]}:{os.getpid()}:live")
    assert release_expired_leases() == len(ids)
    jobs = queue.get_jobs()
    conn.close()
    assert jobs[-1].args == (999, [1])
    released = [job.args[1] for job in jobs[:-1]]
    assert sorted(i for job in released for i in job) == ids
    assert max(len(job) for job in released) <= 10
