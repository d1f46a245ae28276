"""Members listing through the JSON API at scale: p50/p95 per page with cursor paging, /healthz as the floor.

    .venv/bin/python -m bench.api_members --db sqlite
    .venv/bin/python -m bench.api_members --db postgresql [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Server time is measured around the WSGI call (Flask's test client, no network), from request to last byte,
with a real API token (bearer authentication, the token's last-use bookkeeping and the rate limit included).
The target is p95 <= 50 ms per page of 100 at 100,000 members.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench.panel_roster import build_app, make_csv, percentile

TARGET_MS = 50.0


def walk(client, base: str, headers: dict, limit: int, pages: int) -> list[float]:
    """Milliseconds per page while following next_cursor from the first page, at most `pages` pages."""
    times, cursor = [], None
    for _ in range(pages):
        url = f"{base}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        body = response.get_json()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code, body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    return times


def timed(client, url: str, headers: dict, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        response.get_data()
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def _seed(app, folder: str, members: int) -> tuple[str, float]:
    """The list with `members` members and an admin's API token; returns the token and the import time."""
    from app.accounts.tokens import create_token
    from app.extensions import db
    from app.lists.lifecycle import create_list
    from app.membership.importer import import_csv
    from app.models import User
    from app.models.audit import CLI

    csv_path = Path(folder) / "members.csv"
    make_csv(csv_path, members)
    with app.app_context():
        mlist = create_list("big@example.org", "Big")
        admin = User(email="admin@example.org", is_admin=True)
        admin.set_password("bench password 123")
        db.session.add(admin)
        db.session.commit()
        start = time.perf_counter()
        counts = import_csv(mlist.id, csv_path.read_bytes(), lambda _counts: None)
        seconds = time.perf_counter() - start
        assert counts.added == members, counts
        db.session.execute(db.text("ANALYZE"))  # as autovacuum would within a minute of a bulk load
        db.session.commit()
        _, secret = create_token(admin, "bench", CLI)
        db.engine.dispose()
    return secret, seconds


def run(url: str, members: int, requests: int, pages: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(url, folder)
        secret, import_seconds = _seed(app, folder, members)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {secret}"}
        base = "/api/v1/lists/big@example.org/members"
        timed(client, base, auth, 5)  # warm caches and the connection pool
        cases = {
            "/healthz (floor)": timed(client, "/healthz", {}, requests),
            "first page of 100": timed(client, f"{base}?limit=100", auth, requests),
            f"cursor walk, {pages} pages of 100": walk(client, base, auth, 100, pages),
            "first page of 1000": timed(client, f"{base}?limit=1000", auth, max(requests // 5, 5)),
        }
        print(f"database: {url.split('://')[0]}  members: {members}  (import {import_seconds:.1f} s)")
        print(f"{'API request':34} {'p50 ms':>8} {'p95 ms':>8} {'n':>6}")
        for name, times in cases.items():
            print(f"{name:34} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} {len(times):6}")
        walk_p95 = percentile(cases[f"cursor walk, {pages} pages of 100"], 95)
        verdict = "meets" if walk_p95 <= TARGET_MS else "MISSES"
        print(f"p95 per page of 100 while paging: {walk_p95:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pages", type=int, default=1000, help="pages the cursor walk follows at most")
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.db", args.members, args.requests, args.pages)
        return
    name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        run(f"{base}/{name}", args.members, args.requests, args.pages)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
