"""PostgreSQL's chunk statement: marks sent as the session's path does, claims as claims.claim does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text, update

from app.egress import SendResult
from app.extensions import db
from app.models import Delivery, DeliveryStatus, Member, Post
from app.models.timestamps import utcnow
from app.pipeline.claims import claim, lease_end
from app.pipeline.deliver import _autocommit, _record_sent
from app.pipeline.sent_marks import MARK_AND_CLAIM, ChunkStatements, Claimed
from tests.delivery.test_chunks import _post, _rows

COLUMNS = ("status", "sent_at", "lease_until", "next_attempt_at", "last_error", "lease_owner", "attempts")


@pytest.fixture
def on_postgresql(smtp_app, db_dialect):
    if db_dialect != "postgresql":
        pytest.skip("the chunk statement is PostgreSQL's; SQLite records through the session")


def test_the_statement_marks_sent_exactly_as_the_session_does(on_postgresql):
    _, ids = _post(members=4)
    copies = {c.id: c for c in claim(ids, "worker-a")}
    for c in copies.values():  # an earlier try's error and retry time must not survive the sent mark
        c.last_error, c.next_attempt_at = "451 try later", utcnow()
    db.session.commit()
    now = utcnow()
    _record_sent([SendResult(i, ok=True, provider_id=f"queued as {i}") for i in ids[:2]], copies, now)
    db.session.commit()
    with _autocommit() as conn:
        marks = {ids[2]: 'queued as "C" \\ ü', ids[3]: "queued as D"}
        assert ChunkStatements(conn, "worker-a").run(marks, [], now, lease_end(now)) == []
    rows = {r.id: r for r in _rows()}
    for by_session, by_statement in ((ids[0], ids[2]), (ids[1], ids[3])):
        assert [getattr(rows[by_session], k) for k in COLUMNS] == [
            getattr(rows[by_statement], k) for k in COLUMNS
        ]
    assert rows[ids[2]].status == DeliveryStatus.SENT and rows[ids[2]].last_error == ""
    assert rows[ids[2]].provider_message_id == 'queued as "C" \\ ü'  # JSON carries any text


def test_the_statement_claims_only_due_pending_copies_nobody_holds_and_does_not_wait(on_postgresql):
    _, ids = _post(members=6)
    later = utcnow() + timedelta(hours=1)
    db.session.execute(update(Delivery).where(Delivery.id == ids[1]).values(next_attempt_at=later))
    db.session.execute(
        update(Delivery).where(Delivery.id == ids[2]).values(status=DeliveryStatus.SENDING, lease_owner="b")
    )
    db.session.execute(update(Delivery).where(Delivery.id == ids[3]).values(status=DeliveryStatus.SENT))
    db.session.commit()
    other = db.engine.connect()
    locking = other.begin()
    other.execute(update(Delivery).where(Delivery.id == ids[4]).values(last_error="being claimed"))
    try:
        now = utcnow()
        with _autocommit() as conn:
            statements = ChunkStatements(conn, "worker-a")
            statements.send({}, ids, now, lease_end(now))
            assert statements.in_flight
            claimed = statements.read()  # ids[4] is locked by the other transaction: skipped, not waited for
    finally:
        locking.rollback()
        other.close()
    assert claimed == [Claimed(i, r.member_id, r.recipient) for i, r in _by_id(ids) if i in (ids[0], ids[5])]
    rows = dict(_by_id(ids))
    assert (rows[ids[0]].status, rows[ids[0]].lease_owner, rows[ids[0]].attempts) == (
        DeliveryStatus.SENDING,
        "worker-a",
        1,
    )
    assert rows[ids[0]].lease_until > utcnow() + timedelta(seconds=20)  # a lease of 30 s in tests
    assert (rows[ids[1]].status, rows[ids[2]].lease_owner, rows[ids[3]].status, rows[ids[4]].status) == (
        DeliveryStatus.PENDING,
        "b",
        DeliveryStatus.SENT,
        DeliveryStatus.PENDING,
    )


def test_a_failed_statement_raises_and_the_connection_is_not_reused(on_postgresql):
    _, ids = _post(members=2)
    now = utcnow()
    with pytest.raises(Exception, match="chunk statement failed"):
        with _autocommit() as conn:
            ChunkStatements(conn, "x" * 100).run({}, ids, now, lease_end(now))  # lease_owner is 64 characters
    assert {r.status for r in _rows()} == {DeliveryStatus.PENDING}


def _by_id(ids: list[int]) -> list[tuple[int, Delivery]]:
    return [(r.id, r) for r in _rows() if r.id in ids]


def test_the_claim_goes_by_id_even_when_the_statistics_saw_no_pending_copy(on_postgresql):
    """Statistics taken when every copy was sent made PostgreSQL read the claim's rows through the status
    index, walking every pending entry (271 ms a chunk at 1,000,000 copies): the claim goes by id."""
    post_id, _ = _post(members=2)
    list_id = db.session.get(Post, post_id).list_id
    rows = [{"list_id": list_id, "email": f"x{n}@example.net", "name": ""} for n in range(6000)]
    db.session.execute(insert(Member), rows)
    conn = db.session.connection()
    fill = (
        "INSERT INTO deliveries (post_id, member_id, recipient, status, attempts, provider_message_id, "
        "last_error, created_at, lease_owner) SELECT :p, id, email, :s, 0, '', '', now(), '' FROM members "
        "WHERE email LIKE 'x%' AND id % 6 {} 0"
    )
    conn.execute(text(fill.format("=")), {"p": post_id, "s": DeliveryStatus.SENT.value})
    db.session.commit()
    db.session.execute(text("ANALYZE deliveries"))  # what the planner knows: hardly a pending copy
    db.session.commit()
    db.session.execute(text(fill.format("<>")), {"p": post_id, "s": DeliveryStatus.PENDING.value})
    db.session.commit()
    pending = db.session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING).order_by(Delivery.id).limit(25)
    ).all()
    now = utcnow()
    params = ["sent", now.isoformat(), "[]", "{" + ",".join(map(str, pending)) + "}", "pending", "sending"]
    params += [lease_end(now).isoformat(), "worker-a"]
    with _autocommit() as auto:
        pg = auto.connection.driver_connection.pgconn
        result = pg.exec_params(b"EXPLAIN " + MARK_AND_CLAIM, [p.encode() for p in params])
        plan = "\n".join(result.get_value(n, 0).decode() for n in range(result.ntuples))
    assert "deliveries_pkey" in plan, plan
    assert "ix_deliveries_status_lease" not in plan, plan
