"""The scheduler pass in real `mailflow worker` processes: a worker killed and restarted sends each issue once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Delivery, DeliveryStatus, DigestIssue
from tests.delivery.workers import kill9, start_worker, stop, wait_until, worker_env
from tests.digests.conftest import digest_list, distribute

TIMEOUT = 90  # a bound on a hung test on a loaded machine, not a speed requirement
READERS = ("mime@example.net", "plain@example.net")
LONG = "words " * 300  # over the list's 1 kB threshold: the digest is due at once


def _issues_received(sink, number: int) -> dict[str, int]:
    marker = f"Digest, Vol 1, Issue {number}".encode()
    counts = dict.fromkeys(READERS, 0)
    for message in list(sink[1].messages):
        if marker in message.data:
            for rcpt in message.rcpt_tos:
                counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def _copies_open() -> int:
    """Copies not yet recorded as sent (or failed): a kill -9 while one is open may send it again."""
    db.session.expire_all()
    open_statuses = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    count = db.session.scalar(select(func.count()).where(Delivery.status.in_(open_statuses))) or 0
    db.session.commit()
    return count


def _issue_count() -> int:
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(DigestIssue)) or 0
    db.session.commit()  # no open transaction: SQLite must not stay locked against the worker
    return count


def test_each_issue_is_sent_once_across_a_worker_killed_and_started_again(smtp_app, settings, sink, tmp_path):
    mlist = digest_list(digest_size_threshold_kb=1)
    distribute(mlist, "Before the crash", LONG)
    db.session.commit()
    env = worker_env({**settings, "RECONCILE_SECONDS": "1"})
    log = tmp_path / "worker.log"
    first = start_worker(env, log)
    try:
        wait_until(lambda: min(_issues_received(sink, 1).values()) == 1, TIMEOUT, "issue 1", log)
        # Killed between issues, not inside a send: a kill -9 mid-chunk may repeat that chunk (at most one;
        # tests/delivery/test_crashes.py), which is not what this test is about.
        wait_until(lambda: _copies_open() == 0, TIMEOUT, "issue 1's copies recorded", log)
        kill9(first)
        distribute(mlist, "After the crash", LONG)
        db.session.commit()
        second = start_worker(env, log)
        try:
            wait_until(lambda: min(_issues_received(sink, 2).values()) == 1, TIMEOUT, "issue 2", log)
            # Later passes of the restarted worker send the next issue, and nothing of the earlier ones again.
            distribute(mlist, "Later still", LONG)
            db.session.commit()
            wait_until(lambda: min(_issues_received(sink, 3).values()) == 1, TIMEOUT, "issue 3", log)
        finally:
            stop(second)
    finally:
        stop(first)
    assert _issues_received(sink, 1) == dict.fromkeys(READERS, 1)
    assert _issues_received(sink, 2) == dict.fromkeys(READERS, 1)
    assert _issues_received(sink, 3) == dict.fromkeys(READERS, 1)
    assert _issue_count() == 3
