"""PostgreSQL's hot path: one statement per chunk marks it sent and claims a chunk further on, without waiting.

The worker sends the statement and goes on writing the next chunk to the relay while PostgreSQL runs it; the
answer (the copies claimed) is read before that chunk is recorded in turn. So the database's work (three row
versions per copy, their index entries, the durable commit) runs on the other core instead of in turn with
the relay, and one chunk's marks are on their way while the next chunk goes out: a worker killed then has at
most two chunks accepted and unrecorded (deliver.UNRECORDED_AT_MOST).

The statement goes through libpq's asynchronous calls on the job's autocommit connection (psycopg.pq):
send now, read later, each statement its own transaction (PQsendQueryParams ends with a Sync). Parameters
travel as text: integers, ISO timestamps, and the provider ids as JSON (json.dumps does the quoting).

The claim finds its rows by id only: `status || ''` keeps PostgreSQL from reading ix_deliveries_status_lease
for them. With statistics that saw hardly any pending row (taken before a fan-out), it took "pending" for a
rare value and walked every pending row's entry to find a chunk's 25: 271 ms a chunk at 1,000,000 copies,
0.6 ms by id (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import select
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import OperationalError, pq
from sqlalchemy import Connection

from app.models import DeliveryStatus

MARK_AND_CLAIM = b"""
WITH sent AS (
    UPDATE deliveries
    SET status = $1, sent_at = $2::timestamptz, lease_until = NULL, next_attempt_at = NULL, last_error = '',
        provider_message_id = given.provider_id
    FROM json_to_recordset($3::json) AS given(id integer, provider_id varchar)
    WHERE deliveries.id = given.id
    RETURNING deliveries.id
), due AS (
    SELECT id FROM deliveries
    WHERE id = ANY($4::integer[]) AND status || '' = $5
        AND (next_attempt_at IS NULL OR next_attempt_at <= $2::timestamptz)
    ORDER BY id
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries
SET status = $6, lease_until = $7::timestamptz, lease_owner = $8, attempts = deliveries.attempts + 1
FROM due WHERE deliveries.id = due.id
RETURNING deliveries.id, deliveries.member_id, deliveries.recipient
"""


@dataclass(frozen=True)
class Claimed:
    """A copy this worker now holds: what building it needs (deliver.outgoing)."""

    id: int
    member_id: int
    recipient: str


class ChunkStatements:
    """At most one statement in flight on the job's autocommit connection; its claimed copies when read."""

    def __init__(self, conn: Connection, lease_id: str) -> None:
        raw = conn.connection.driver_connection
        if raw is None:
            raise RuntimeError("the autocommit connection was closed under the fan-out")
        self.pg: pq.abc.PGconn = raw.pgconn
        self.lease_id = lease_id
        self.in_flight = False

    def send(
        self,
        provider_ids: Mapping[int, str],
        claim_ids: Sequence[int],
        now: datetime,
        lease_until: datetime,
    ) -> None:
        """Mark these copies sent and claim those (due, pending, not locked by another claim); do not wait."""
        if self.in_flight:
            raise RuntimeError("a chunk statement is already in flight: read it first")
        marks = json.dumps([{"id": i, "provider_id": p} for i, p in provider_ids.items()])
        params = (
            DeliveryStatus.SENT.value,
            now.isoformat(),
            marks,
            "{" + ",".join(str(int(i)) for i in claim_ids) + "}",
            DeliveryStatus.PENDING.value,
            DeliveryStatus.SENDING.value,
            lease_until.isoformat(),
            self.lease_id,
        )
        self.pg.send_query_params(MARK_AND_CLAIM, [p.encode() for p in params])
        while self.pg.flush():  # psycopg keeps libpq non-blocking: what did not fit in the socket waits here
            select.select([], [self.pg.socket], [])
        self.in_flight = True

    def read(self) -> list[Claimed]:
        """Wait for the statement in flight (the GIL released while waiting); the copies it claimed, by id."""
        if not self.in_flight:
            return []
        self.in_flight = False
        while True:
            self.pg.consume_input()
            if not self.pg.is_busy():
                break
            select.select([self.pg.socket], [], [])
        results = []
        while (result := self.pg.get_result()) is not None:
            results.append(result)
        failed = [r for r in results if r.status != pq.ExecStatus.TUPLES_OK]
        if failed or not results:
            said = failed[0].error_message.decode("utf-8", "replace") if failed else "no result"
            raise OperationalError(f"chunk statement failed: {said}")
        rows = results[-1]
        claimed = [
            Claimed(int(_value(rows, n, 0)), int(_value(rows, n, 1)), _value(rows, n, 2).decode())
            for n in range(rows.ntuples)
        ]
        return sorted(claimed, key=lambda c: c.id)

    def run(
        self, provider_ids: Mapping[int, str], claim_ids: Sequence[int], now: datetime, lease_until: datetime
    ) -> list[Claimed]:
        """send() and read() in turn."""
        self.send(provider_ids, claim_ids, now, lease_until)
        return self.read()


def _value(rows: pq.abc.PGresult, row: int, column: int) -> bytes:
    value = rows.get_value(row, column)
    if value is None:  # every column returned is NOT NULL
        raise OperationalError(f"chunk statement returned NULL in column {column}")
    return value
