"""System mail leaves one way: stored, sent through the configured egress and the shared rate limit,
retried by RQ after a temporary failure. Real SMTP sink, real Redis, real RQ worker, moto for SES."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app import create_app
from app.egress.ratelimit import KEY_PREFIX
from app.extensions import db
from app.jobs.queues import Job, QueueName
from app.jobs.reconcile import reconcile_all
from app.jobs.retry_policy import backoff
from app.models import SystemMail, SystemMailKind, SystemMailStatus
from app.models.timestamps import utcnow
from app.sysmail.notices import build_notice, send_notice
from app.sysmail.outbox import send_stored
from tests.support.aws import REGION
from tests.support.db import truncate_all
from tests.support.factories import make_list
from tests.support.stack import drain

OWNER = "olga@example.com"


def notice(mlist, to: str = OWNER):
    return build_notice(mlist, to, "A notice", "Something happened.\n", auto="auto-generated")


def the_mail() -> SystemMail:
    db.session.expire_all()
    return db.session.scalars(select(SystemMail)).one()


def test_a_notice_is_stored_and_sent_at_once(smtp_app, sink):
    mlist = make_list("team@example.org", "Team")
    assert send_notice(mlist, notice(mlist)) is True
    [received] = sink[1].messages
    assert received.rcpt_tos == [OWNER] and received.mail_from == "team-bounces@example.org"
    row = the_mail()
    assert (row.status, row.attempts, row.kind, row.list_id) == ("sent", 1, "notice", mlist.id)


def test_a_notice_is_retried_after_a_temporary_relay_failure(smtp_app, sink, redis_url):
    mlist = make_list("team@example.org", "Team")
    sink[1].refuse_once[OWNER] = "451 4.3.0 try again later"
    assert send_notice(mlist, notice(mlist)) is False
    assert sink[1].messages == []
    row = the_mail()
    assert row.status == SystemMailStatus.PENDING and "451" in row.last_error and row.attempts == 1
    assert row.next_attempt_at > utcnow() + timedelta(seconds=backoff(1) - 5)
    conn = Redis.from_url(redis_url)
    [job_id] = ScheduledJobRegistry(QueueName.DEFAULT.value, connection=conn).get_job_ids()
    job = Queue(QueueName.DEFAULT.value, connection=conn).fetch_job(job_id)
    assert (job.func_name, job.args) == (Job.SEND_SYSTEM_MAIL.value, (row.id,))
    # The backoff has passed: the retry runs in a real worker (queued now rather than in 30 seconds).
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    Queue(QueueName.DEFAULT.value, connection=conn).enqueue(job.func_name, *job.args)
    conn.close()
    drain(smtp_app)
    [received] = sink[1].messages
    assert received.rcpt_tos == [OWNER]
    row = the_mail()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_retry_that_is_not_due_sends_nothing(smtp_app, sink):
    mlist = make_list("team@example.org", "Team")
    sink[1].refuse_once[OWNER] = "451 4.3.0 try again later"
    send_notice(mlist, notice(mlist))
    send_stored(the_mail().id)  # a duplicate job before the backoff ended
    assert sink[1].messages == [] and the_mail().attempts == 1


def test_a_permanent_refusal_is_not_retried(smtp_app, sink, redis_url):
    mlist = make_list("team@example.org", "Team")
    sink[1].refuse[OWNER] = "550 5.1.1 no such user"
    assert send_notice(mlist, notice(mlist)) is False
    row = the_mail()
    assert row.status == SystemMailStatus.FAILED and "550" in row.last_error
    conn = Redis.from_url(redis_url)
    assert ScheduledJobRegistry(QueueName.DEFAULT.value, connection=conn).get_job_ids() == []
    conn.close()


def test_the_reconciler_sends_mail_whose_job_was_lost(smtp_app, sink):
    mlist = make_list("team@example.org", "Team")
    sink[1].refuse_once[OWNER] = "451 4.3.0 try again later"
    send_notice(mlist, notice(mlist))
    row = the_mail()
    row.next_attempt_at = utcnow() - timedelta(hours=1)  # long overdue: its scheduled job is gone
    db.session.commit()
    reconcile_all()
    drain(smtp_app)
    assert [m.rcpt_tos for m in sink[1].messages] == [[OWNER]]
    assert the_mail().status == SystemMailStatus.SENT


@pytest.fixture
def ses_app(settings, redis_url, moto):
    moto.client("ses").verify_domain_identity(Domain="example.org")
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="ses",
        SES_ENDPOINT_URL=moto.url,
        SES_REGION=REGION,
        SES_MAX_SEND_RATE="50",
    )
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def test_notices_count_against_the_shared_ses_rate(ses_app, redis_url):
    """Each notice takes a slot of the SES rate in Redis, where every worker's list copies take theirs."""
    mlist = make_list("team@example.org", "Team")
    with redis_commands(redis_url) as seen:
        assert send_notice(mlist, notice(mlist), SystemMailKind.CONFIRMATION)
        assert send_notice(mlist, notice(mlist, "mo@example.com"))
    # Read from Redis's own command log (the limiter's script INCRs the window's counter, which expires
    # within seconds; the log stays).
    assert sum(command.startswith(f"INCR {KEY_PREFIX}:ses:") for command in seen) == 2
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert {address for m in sent for address in m.destinations} == {"mo@example.com", OWNER}


@contextmanager
def redis_commands(redis_url: str):
    """Every command Redis runs meanwhile (MONITOR), as text."""
    seen: list[str] = []
    conn = Redis.from_url(redis_url)
    monitor = conn.monitor()
    monitor.__enter__()
    done = threading.Event()

    def listen() -> None:
        for event in monitor.listen():
            if "mailflow-monitor-stop" in event["command"]:
                break
            seen.append(event["command"])
        done.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        conn.echo("mailflow-monitor-stop")
        done.wait(10)
        monitor.__exit__(None, None, None)
        conn.close()
