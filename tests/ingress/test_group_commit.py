"""Group commit: messages queued together share one transaction, yet each gets its own answer."""

from __future__ import annotations

import hashlib
import smtplib
import sys
import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.ingress.accept import Envelope, accept, accept_batch
from app.ingress.directory import ListDirectory
from app.ingress.group_commit import GroupCommitter
from app.models import Post
from tests.ingress.conftest import post_count
from tests.support.factories import make_list, message
from tests.support.stack import receiver, send


def envelope(list_id: int, rcpt: str = "team@example.org") -> Envelope:
    return Envelope(mail_from="alice@example.org", rcpt_tos=(rcpt,), targets=((list_id, "post"),))


class CommitCounter:
    """Counts the commits the app's engine makes."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(db.engine, "commit", self._on_commit)

    def _on_commit(self, _conn) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(db.engine, "commit", self._on_commit)


@pytest.fixture
def commits(queued_app):
    counter = CommitCounter()
    yield counter
    counter.close()


def test_accept_batch_is_one_commit_and_each_message_its_post(queued_app, commits):
    mlist = make_list("team@example.org")
    raws = [message(subject=f"post {n}") for n in range(20)]
    commits.count = 0
    results = accept_batch([(raw, envelope(mlist.id)) for raw in raws])
    assert commits.count == 1
    assert len({ids[0] for ids in results}) == 20
    for raw, ids in zip(raws, results):
        post = db.session.get(Post, ids[0])
        assert post.sha256 == hashlib.sha256(raw).hexdigest() and post.queued_at is not None


def test_same_bytes_twice_in_a_batch_and_again_later_are_one_post(queued_app):
    mlist = make_list("team@example.org")
    raw, other = message(subject="once"), message(subject="other")
    first = accept_batch([(raw, envelope(mlist.id)), (other, envelope(mlist.id)), (raw, envelope(mlist.id))])
    assert first[0] == first[2] != first[1]
    again = accept_batch([(message(subject="new"), envelope(mlist.id)), (raw, envelope(mlist.id))])
    assert again[1] == first[0]  # the conflict path: the stored post is found, not a second one made
    assert accept(other, envelope(mlist.id)) == first[1]
    assert post_count() == 3


def test_queued_messages_share_a_transaction(queued_app, commits):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, start=False)
    futures = [committer.submit(message(subject=f"queued {n}"), envelope(mlist.id)) for n in range(10)]
    commits.count = 0
    committer.start()
    ids = [future.result(timeout=30) for future in futures]
    committer.close()
    assert commits.count == 1 and len({i[0] for i in ids}) == 10
    assert post_count() == 10


def test_a_bad_message_fails_alone(queued_app):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, start=False)
    good = committer.submit(message(subject="good"), envelope(mlist.id))
    unresolved = Envelope(mail_from="alice@example.org", rcpt_tos=("nobody@example.org",))
    bad = committer.submit(message(subject="bad"), unresolved)
    later = committer.submit(message(subject="later"), envelope(mlist.id))
    committer.start()
    assert len(good.result(timeout=30)) == 1 and len(later.result(timeout=30)) == 1
    with pytest.raises(LookupError):
        bad.result(timeout=30)
    committer.close()
    assert post_count() == 2


def test_a_database_error_reaches_every_waiting_session(queued_app, monkeypatch):
    mlist = make_list("team@example.org")

    def broken(*_args, **_kwargs):
        raise SQLAlchemyError("database is gone")

    monkeypatch.setattr(sys.modules["app.ingress.accept"], "_store_batch", broken)
    committer = GroupCommitter(queued_app, start=False)
    futures = [committer.submit(message(subject=f"lost {n}"), envelope(mlist.id)) for n in range(3)]
    committer.start()
    for future in futures:
        with pytest.raises(SQLAlchemyError):
            future.result(timeout=30)
    committer.close()
    assert post_count() == 0


def test_close_stores_what_is_queued(queued_app):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, start=False)
    futures = [committer.submit(message(subject=f"late {n}"), envelope(mlist.id)) for n in range(5)]
    committer.start()
    committer.close()
    assert all(future.done() and len(future.result()) == 1 for future in futures)
    assert post_count() == 5


def test_many_threads_submitting_at_once(queued_app):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, max_batch=8)
    results: dict[int, list[int]] = {}
    raws, list_id = [message(subject=f"thread {n}") for n in range(40)], mlist.id

    def send(n: int) -> None:
        results[n] = committer.submit(raws[n], envelope(list_id)).result(timeout=60)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    committer.close()
    assert len({ids[0] for ids in results.values()}) == 40 and post_count() == 40
    subjects = dict(db.session.execute(select(Post.id, Post.subject)).all())
    assert all(subjects[results[n][0]] == f"thread {n}" for n in range(40))


def test_directory_remembers_lists_for_a_while_only(queued_app):
    now = [100.0]
    directory = ListDirectory(ttl=5, clock=lambda: now[0])
    assert directory.find("team@example.org") is None  # no list yet: nothing remembered
    mlist = make_list("team@example.org")
    assert directory.cached("team@example.org") is None
    found = directory.find("Team-bounces+abc@Example.org")
    assert found is not None and found[0] == mlist.id and found[1].role.value == "bounces"
    hit = directory.cached("team-request@example.org")
    assert hit is not None and hit[0] == mlist.id and hit[1].role.value == "request"
    now[0] += 6
    assert directory.cached("team@example.org") is None  # expired: the next RCPT asks the database
    assert directory.cached("other@example.org") is None


def test_a_list_deleted_while_remembered_gets_451_then_550(queued_app, smtpd_port):
    mlist = make_list("team@example.org")
    with receiver(queued_app, smtpd_port) as controller:
        send(smtpd_port, "alice@example.org", ["team@example.org"], message(subject="first"))
        db.session.delete(mlist)
        db.session.commit()
        with pytest.raises(smtplib.SMTPDataError) as deferred:  # RCPT still remembers it; storing fails
            send(smtpd_port, "alice@example.org", ["team@example.org"], message(subject="second"))
        assert deferred.value.smtp_code == 451
        controller.handler.directory.ttl = 0
        controller.handler.directory._known.clear()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(smtpd_port, "alice@example.org", ["team@example.org"], message(subject="third"))
    assert post_count() == 0  # the first post went with its list


def test_a_session_that_hangs_up_neither_loses_its_message_nor_stops_the_committer(queued_app):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, start=False)
    gone = committer.submit(message(subject="client hung up before the commit"), envelope(mlist.id))
    waiting = committer.submit(message(subject="still waiting"), envelope(mlist.id))
    assert gone.cancel()  # what asyncio does to the wrapped future when the session is cancelled
    committer.start()
    assert len(waiting.result(timeout=30)) == 1
    later = committer.submit(message(subject="after"), envelope(mlist.id))
    assert len(later.result(timeout=30)) == 1  # the thread is still alive
    committer.close()
    assert post_count() == 3  # the hung-up session's message is stored; its retry would find this post


def test_an_unexpected_error_is_reported_to_the_sessions_and_the_thread_lives_on(queued_app, monkeypatch):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app)
    monkeypatch.setattr(committer, "_store", lambda batch: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        committer.submit(message(subject="first"), envelope(mlist.id)).result(timeout=30)
    monkeypatch.undo()
    assert len(committer.submit(message(subject="second"), envelope(mlist.id)).result(timeout=30)) == 1
    committer.close()


def test_an_unreachable_database_fails_the_batch_at_once(queued_app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    mlist = make_list("team@example.org")
    calls = []

    def unreachable(planned, check_existing):
        calls.append(len(planned))
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(sys.modules["app.ingress.accept"], "_store_batch", unreachable)
    committer = GroupCommitter(queued_app, start=False)
    futures = [committer.submit(message(subject=f"away {n}"), envelope(mlist.id)) for n in range(4)]
    committer.start()
    for future in futures:
        with pytest.raises(OperationalError):
            future.result(timeout=30)
    committer.close()
    assert calls == [4]  # one attempt for the batch, not one more per message


def test_big_messages_are_batched_by_size_too(queued_app, commits):
    mlist = make_list("team@example.org")
    committer = GroupCommitter(queued_app, start=False, max_bytes=5000)
    raws = [message(subject=f"big {n}", body="x" * 2000 + "\n") for n in range(5)]  # about 2.3 kB each
    futures = [committer.submit(raw, envelope(mlist.id)) for raw in raws]
    commits.count = 0
    committer.start()
    ids = [future.result(timeout=30)[0] for future in futures]
    committer.close()
    assert len(set(ids)) == 5 and post_count() == 5
    assert commits.count == 3  # two, two and one: each batch stays under 5,000 bytes
