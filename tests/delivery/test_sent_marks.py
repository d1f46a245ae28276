"""PostgreSQL's prepared sent-mark statement writes what the session's path writes, and fences like held_query."""

from __future__ import annotations

import pytest

from app.egress import SendResult
from app.extensions import db
from app.models import Delivery, DeliveryStatus
from app.models.timestamps import utcnow
from app.pipeline.claims import claim, held_query
from app.pipeline.deliver import _autocommit, _record_sent
from app.pipeline.sent_marks import mark_sent_and_fence
from tests.delivery.test_chunks import _post, _rows

COLUMNS = ("status", "sent_at", "lease_until", "next_attempt_at", "last_error", "lease_owner", "attempts")


def test_the_prepared_statement_marks_like_the_session_and_fences_like_held_query(smtp_app, db_dialect):
    if db_dialect != "postgresql":
        pytest.skip("the prepared statement is PostgreSQL's; SQLite records through the session")
    _, ids = _post(members=8)
    copies = claim(ids, "worker-a")
    by_id = {c.id: c for c in copies}
    for c in copies[:4]:  # an earlier try's error and retry time must not survive the sent mark
        c.last_error, c.next_attempt_at = "451 try later", utcnow()
    db.session.commit()
    now = utcnow()
    _record_sent_via_session(by_id, ids[:2], now)
    db.session.execute(
        Delivery.__table__.update().where(Delivery.id == ids[7]).values(lease_owner="worker-b")
    )
    db.session.commit()
    expected_fence = db.session.execute(held_query(copies[4:], "worker-a")).all()
    with _autocommit() as conn:
        rows = mark_sent_and_fence(
            conn, {ids[2]: "queued as C", ids[3]: "queued as D"}, now, ids[4:], "worker-a"
        )
        again = mark_sent_and_fence(conn, {ids[4]: "queued as E"}, now, [], "worker-a")  # prepared, reused
    assert sorted((r.id, r.lease_until) for r in rows) == sorted(
        (r.id, r.lease_until) for r in expected_fence
    )
    assert [r.id for r in sorted(rows)] == ids[4:7] and again == []
    marked = {r.id: r for r in _rows()}
    for by_session, by_statement in ((ids[0], ids[2]), (ids[1], ids[3])):
        assert [getattr(marked[by_session], k) for k in COLUMNS] == [
            getattr(marked[by_statement], k) for k in COLUMNS
        ]
    assert (
        marked[ids[3]].status == DeliveryStatus.SENT and marked[ids[3]].provider_message_id == "queued as D"
    )
    assert marked[ids[4]].provider_message_id == "queued as E" and marked[ids[4]].last_error == ""
    assert {marked[i].status for i in ids[5:]} == {DeliveryStatus.SENDING}


def _record_sent_via_session(copies: dict[int, Delivery], ids: list[int], now) -> None:
    _record_sent([SendResult(i, ok=True, provider_id=f"queued as {i}") for i in ids], copies, now)
    db.session.commit()
