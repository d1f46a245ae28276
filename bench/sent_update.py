"""What one chunk's sent marks cost PostgreSQL: `python -m bench.sent_update [--rows 20000] [--chunk 50]`.

A scratch copy of the deliveries table (its columns, the indexes of each variant) in its own database; the
statement is the one a worker runs for a chunk whose copies were all accepted (UPDATE … FROM unnest(ids,
provider ids)), timed per chunk with a durable commit and with `synchronous_commit = off`. No worker, no SMTP:
only the database's share of the hot path.
"""

from __future__ import annotations

import argparse
import time

import psycopg

from bench.services import PG_ADMIN

TABLE = """CREATE TABLE scratch_deliveries (
    id serial PRIMARY KEY, post_id int NOT NULL, member_id int NOT NULL, recipient varchar(320) NOT NULL,
    status varchar(16) NOT NULL, attempts int NOT NULL DEFAULT 0,
    provider_message_id varchar(255) NOT NULL DEFAULT '', last_error text NOT NULL DEFAULT '',
    lease_until timestamptz, lease_owner varchar(64) NOT NULL DEFAULT '', next_attempt_at timestamptz,
    delivered_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)"""
VARIANTS = {
    "today's five indexes": (
        "(post_id, status)",
        "(provider_message_id)",
        "(status, lease_until)",
    ),
    "status indexes partial (no entry for a sent row)": (
        "(post_id, status) WHERE status IN ('pending', 'sending')",
        "(provider_message_id)",
        "(status, lease_until) WHERE status <> 'sent'",
    ),
    "primary key and (post, member) only": (),
}
SENT = """UPDATE scratch_deliveries SET provider_message_id = v.value, status = 'sent', sent_at = now(),
    lease_until = NULL, next_attempt_at = NULL, last_error = ''
    FROM unnest(%s::int[], %s::varchar[]) AS v(id, value) WHERE scratch_deliveries.id = v.id"""


def measure(conn: psycopg.Connection, rows: int, chunk: int, indexes: tuple[str, ...]) -> dict[str, float]:
    """Milliseconds per chunk statement, durable and not, for one set of indexes."""
    conn.execute("DROP TABLE IF EXISTS scratch_deliveries")
    conn.execute(TABLE)
    conn.execute("CREATE UNIQUE INDEX ON scratch_deliveries (post_id, member_id)")
    for index in indexes:
        conn.execute(f"CREATE INDEX ON scratch_deliveries {index}")
    conn.execute(
        "INSERT INTO scratch_deliveries (post_id, member_id, recipient, status) "
        "SELECT 1, g, 'm' || g || '@example.com', 'sending' FROM generate_series(1, %s) g",
        (rows,),
    )
    conn.execute("ANALYZE scratch_deliveries")
    out = {}
    for half, commit in enumerate(("on", "off")):
        conn.execute(f"SET synchronous_commit = {commit}")
        starts = range(half * rows // 2, (half + 1) * rows // 2, chunk)
        began = time.perf_counter()
        for start in starts:
            ids = list(range(start + 1, start + chunk + 1))
            conn.execute(SENT, (ids, [f"2.0.0 Ok: queued as Q{i}" for i in ids]))
        out[commit] = (time.perf_counter() - began) / len(starts) * 1000
    conn.execute("DROP TABLE scratch_deliveries")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sent_update", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=50)
    args = parser.parse_args()
    name = "mailflow_bench_sent_update"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
            print(
                f"| indexes | ms per {args.chunk}-row chunk, durable commit | with synchronous_commit=off |"
            )
            print("| --- | --- | --- |")
            for label, indexes in VARIANTS.items():
                ms = measure(conn, args.rows, args.chunk, indexes)
                print(f"| {label} | {ms['on']:.2f} | {ms['off']:.2f} |")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
