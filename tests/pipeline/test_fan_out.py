"""Fan-out: delivery rows in one statement, every batch queued in one round trip."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select, text

from app import create_app
from app.extensions import db
from app.jobs.queues import QueueName, redis_connection
from app.models import Delivery, DeliveryStatus, Member, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline.recipients import create_deliveries, fan_out
from tests.conftest import truncate_all
from tests.support.factories import make_list, make_members, message

MEMBERS = ["ann@example.net", "bob@example.net", "cyd@example.com"]


@pytest.fixture
def fan_app(settings, redis_url, sink):
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink[0].port),
        DELIVERY_BATCH_SIZE="2",
    )
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        redis_connection().close()
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def _distributing_post(prepared: bytes | None) -> Post:
    mlist = make_list("team@example.org")
    make_members(mlist, *MEMBERS)
    raw = message()
    post = Post(
        list_id=mlist.id,
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        status=PostStatus.DISTRIBUTING,
        prepared=prepared,
    )
    db.session.add(post)
    db.session.commit()
    return post


def _queued(redis_url: str) -> list[tuple]:
    conn = Redis.from_url(redis_url)
    jobs = Queue(QueueName.DELIVERIES.value, connection=conn).get_jobs()
    conn.close()
    return [job.args for job in jobs]


def test_every_batch_is_queued_in_order_and_nothing_is_sent_by_the_fan_out_job(fan_app, sink, redis_url):
    post = _distributing_post(prepared=message())
    fan_out(post)
    rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert sorted(r.recipient for r in rows) == sorted(MEMBERS)
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    assert _queued(redis_url) == [(post.id, [rows[0].id, rows[1].id]), (post.id, [rows[2].id])]
    assert sink[1].messages == []


def test_a_big_post_is_queued_a_round_of_jobs_at_a_time_in_order(fan_app, redis_url, monkeypatch):
    """The ids are streamed from the database, one round of jobs per Redis round trip, never all at once."""
    from app.pipeline import recipients

    monkeypatch.setattr(recipients, "JOBS_PER_ROUND", 1)
    post = _distributing_post(prepared=message())
    rounds: list[list[list[int]]] = []
    real = recipients.pending_batches
    monkeypatch.setattr(recipients, "pending_batches", lambda *a: (rounds.append(j) or j for j in real(*a)))
    fan_out(post)
    ids = db.session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
    assert rounds == [[[ids[0], ids[1]]], [[ids[2]]]]
    assert _queued(redis_url) == [(post.id, [ids[0], ids[1]]), (post.id, [ids[2]])]


def test_creating_deliveries_twice_adds_only_members_who_joined_since(fan_app):
    post = _distributing_post(prepared=message())
    create_deliveries(post)
    make_members(post.mailing_list, "dan@example.org")
    create_deliveries(post)
    create_deliveries(post)
    recipients = db.session.scalars(select(Delivery.recipient).where(Delivery.post_id == post.id)).all()
    assert sorted(recipients) == sorted([*MEMBERS, "dan@example.org"])


def test_rows_another_run_inserted_after_the_check_are_skipped_not_doubled(fan_app, monkeypatch):
    """The first fan-out of a post inserts without ON CONFLICT; rows another run of the same post inserted
    after it looked (a unique violation) send it back to the insert that skips existing rows."""
    from app.pipeline import recipients

    post = _distributing_post(prepared=message())
    ann = db.session.scalar(select(Member).where(Member.email == MEMBERS[0]))
    db.session.add(Delivery(post_id=post.id, member_id=ann.id, recipient=ann.email, created_at=utcnow()))
    db.session.commit()
    looked: list[int] = []
    monkeypatch.setattr(recipients, "has_deliveries", lambda post_id: looked.append(post_id) or False)
    create_deliveries(post)
    rows = db.session.scalars(select(Delivery.recipient).where(Delivery.post_id == post.id)).all()
    assert looked == [post.id]
    assert sorted(rows) == sorted(MEMBERS)
    assert db.session.get(Post, post.id).withheld is not None  # the rest of the fan-out's work was done


def test_the_first_fan_out_of_a_post_takes_the_plain_insert(fan_app, monkeypatch):
    from app.pipeline import recipients

    post = _distributing_post(prepared=message())
    statements: list[bool] = []
    real = recipients.insert_statement
    monkeypatch.setattr(
        recipients,
        "insert_statement",
        lambda chosen, skip_existing: statements.append(skip_existing) or real(chosen, skip_existing),
    )
    create_deliveries(post)
    make_members(post.mailing_list, "dan@example.org")
    create_deliveries(post)
    assert statements == [False, True]
    assert db.session.scalar(select(func.count()).where(Delivery.post_id == post.id)) == len(MEMBERS) + 1


def test_only_regular_members_not_on_vacation_get_a_copy(fan_app):
    post = _distributing_post(prepared=message())
    make_members(post.mailing_list, "dig@example.org", "txt@example.org", "off@example.org")
    make_members(post.mailing_list, "away@example.org", "back@example.org")
    today = utcnow().date()
    changes = {
        "dig@example.org": {"delivery_mode": "mime_digest"},
        "txt@example.org": {"delivery_mode": "plain_digest"},
        "off@example.org": {"delivery_mode": "nomail"},
        "away@example.org": {"vacation_until": today + timedelta(days=1)},
        "back@example.org": {"vacation_until": today},  # the day it ends, mail resumes
    }
    for member in db.session.scalars(select(Member)):
        for column, value in changes.get(member.email, {}).items():
            setattr(member, column, value)
    db.session.commit()
    create_deliveries(post)
    recipients = db.session.scalars(select(Delivery.recipient).where(Delivery.post_id == post.id)).all()
    assert sorted(recipients) == sorted([*MEMBERS, "back@example.org"])


@pytest.mark.parametrize("threshold", [3, 4])
def test_a_big_fan_out_refreshes_the_statistics_on_postgresql(fan_app, monkeypatch, threshold):
    """At ANALYZE_AFTER_ROWS new rows PostgreSQL is told to ANALYZE deliveries; below it, not."""
    from app.pipeline import recipients

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans the fan-out's statements by rowid whatever its statistics say")
    monkeypatch.setattr(recipients, "ANALYZE_AFTER_ROWS", threshold)
    post = _distributing_post(prepared=message())
    before = _manual_analyses()
    create_deliveries(post)  # three members: three rows
    assert _manual_analyses() - before == (1 if threshold <= len(MEMBERS) else 0)


def test_a_failing_analyze_does_not_fail_the_fan_out(fan_app, monkeypatch, caplog):
    from app.pipeline import recipients

    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL is analysed after a fan-out")
    monkeypatch.setattr(recipients, "ANALYZE_AFTER_ROWS", 1)
    monkeypatch.setattr(recipients, "ANALYZE", "ANALYZE no_such_table")
    post = _distributing_post(prepared=message())
    create_deliveries(post)
    assert db.session.scalar(select(func.count()).where(Delivery.post_id == post.id)) == len(MEMBERS)
    assert "ANALYZE no_such_table after a fan-out of 3 copies failed" in caplog.text


def _manual_analyses() -> int:
    """How often deliveries was analysed by hand (not by autovacuum), read afresh."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.scalar(text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'deliveries'"))
