"""PostgreSQL's hot path: a chunk's sent marks and the next chunk's fence as one prepared statement.

The same statement built with SQLAlchemy Core cost the worker ~0.1 ms of Python per copy (building the
unnest construct, its cache key, the bound lists) against ~0.3 ms to build and send the copy itself; here
psycopg sends a server-side prepared statement with three arrays. The SQL says what deliver._sent_values
says; tests/delivery/test_sent_marks.py holds the two to the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection

from app.models import DeliveryStatus

MARK_AND_FENCE = """
WITH sent AS (
    UPDATE deliveries
    SET status = %(sent)s, sent_at = %(now)s, lease_until = NULL, next_attempt_at = NULL, last_error = '',
        provider_message_id = given.provider_id
    FROM unnest(%(ids)s::integer[], %(provider_ids)s::varchar[]) AS given(id, provider_id)
    WHERE deliveries.id = given.id
    RETURNING deliveries.id
)
SELECT id, lease_until FROM deliveries
WHERE id = ANY(%(following)s::integer[]) AND status = %(sending)s AND lease_owner = %(lease_id)s
"""


def mark_sent_and_fence(
    conn: Connection, provider_ids: Mapping[int, str], now: datetime, following: Sequence[int], lease_id: str
) -> list[Any]:
    """Mark these copies sent (autocommit) and answer the fence's question for the following ones.

    Rows of (id, lease_until): the following copies this lease still holds, as claims.held_query answers.
    """
    params = {
        "sent": DeliveryStatus.SENT.value,
        "now": now,
        "ids": list(provider_ids),
        "provider_ids": list(provider_ids.values()),
        "following": list(following),
        "sending": DeliveryStatus.SENDING.value,
        "lease_id": lease_id,
    }
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the autocommit connection was closed under the fan-out")
    with raw.cursor(row_factory=namedtuple_row) as cursor:
        return cursor.execute(MARK_AND_FENCE, params, prepare=True).fetchall()
