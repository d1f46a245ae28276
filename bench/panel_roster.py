"""Roster page at scale: CSV import time for N members, then roster server time (p50/p95) on SQLite or PostgreSQL.

    .venv/bin/python bench/panel_roster.py --db sqlite
    .venv/bin/python bench/panel_roster.py --db postgresql [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Server time is measured around the WSGI call (Flask's test client, no network), from request to last byte.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench.services import SECRET

PASSWORD = "bench password 123"


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))]


def make_csv(path: Path, count: int) -> None:
    with path.open("w") as out:
        out.write("email,name\n")
        for i in range(count):
            out.write(f"member{i:07d}@example{i % 97}.org,Member {i:07d}\n")


def build_app(url: str, folder: str):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": folder,
            "SECRET_KEY": SECRET,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def timed_requests(client, urls: list[str]) -> list[float]:
    """Milliseconds per request, each body read to the end; every answer must be 200."""
    out = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def run(url: str, members: int, requests: int) -> None:
    from app.extensions import db
    from app.lists.lifecycle import create_list
    from app.membership.importer import import_csv
    from app.models import User

    with tempfile.TemporaryDirectory() as folder:
        app = build_app(url, folder)
        csv_path = Path(folder) / "members.csv"
        make_csv(csv_path, members)
        with app.app_context():
            mlist = create_list("big@example.org", "Big")
            admin = User(email="admin@example.org", is_admin=True)
            admin.set_password(PASSWORD)
            db.session.add(admin)
            db.session.commit()
            start = time.perf_counter()
            counts = import_csv(mlist.id, csv_path.read_bytes(), lambda _counts: None)
            import_seconds = time.perf_counter() - start
            assert counts.added == members, counts
            # Fresh statistics, as autovacuum (PostgreSQL) would gather within a minute of a bulk load.
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
            list_id = mlist.id
            deep = db.session.execute(
                db.text("SELECT email FROM members WHERE list_id = :l ORDER BY email LIMIT 1 OFFSET :o"),
                {"l": list_id, "o": members * 9 // 10},
            ).scalar()
        client = app.test_client()
        client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
        base = f"/lists/{list_id}/members"
        cases = {
            "first page": [base] * requests,
            "page 90% deep (keyset)": [f"{base}?after={deep}"] * requests,
            "search address prefix": [f"{base}?q=member{i:03d}" for i in range(requests)],
            "search name prefix": [f"{base}?q=Member%20{i:04d}" for i in range(requests)],
        }
        timed_requests(client, [base] * 5)  # warm caches and the connection pool
        print(
            f"database: {url.split('://')[0]}  members: {members}  CSV import: {import_seconds:.1f} s "
            f"({members / import_seconds:,.0f} rows/s)"
        )
        print(f"{'roster request':28} {'p50 ms':>8} {'p95 ms':>8}  ({requests} requests each)")
        for name, urls in cases.items():
            times = timed_requests(client, urls)
            print(f"{name:28} {statistics.median(times):8.1f} {percentile(times, 95):8.1f}")
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.db", args.members, args.requests)
        return
    name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        run(f"{base}/{name}", args.members, args.requests)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
