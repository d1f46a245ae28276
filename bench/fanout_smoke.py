"""Fan-out smoke figure: copies/s for one post to an N-member list through smtp egress to Postfix's smtp-sink.

Usage (needs Redis; uses and empties the given Redis database only):
    .venv/bin/python bench/fanout_smoke.py --members 10000 --workers 1 --redis redis://127.0.0.1:6379/5
Prints copies per second (from the first worker start to the last copy recorded sent) and the largest
resident set size of a worker process during the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.services import SECRET

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp_sink(port: int) -> subprocess.Popen:
    """Postfix's smtp-sink on loopback: accepts and discards everything."""
    binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    user = ["-u", "postfix"] if os.geteuid() == 0 else []
    sink = subprocess.Popen(
        [binary, *user, f"127.0.0.1:{port}", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.3)
    return sink


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def prepare(settings: dict, members: int) -> int:
    """Database with one list of `members` members and one post fanned out (jobs in Redis)."""
    from flask_migrate import upgrade
    from redis import Redis

    from app import create_app
    from app.extensions import db
    from app.membership.lines import Entry
    from app.membership.members import add_members
    from app.models import MailingList, Post
    from app.pipeline.runner import process

    Redis.from_url(settings["REDIS_URL"]).flushdb()
    app = create_app(settings)
    with app.app_context():
        upgrade()
        mlist = MailingList(
            local_part="big", domain="example.org", display_name="Big", nonmember_action="accept"
        )
        db.session.add(mlist)
        db.session.commit()
        add_members(mlist.id, (Entry(f"member{i:05d}@example.net", "") for i in range(members)))
        db.session.commit()
        raw = (
            b"From: Alice <alice@example.org>\r\nTo: big@example.org\r\nSubject: Smoke\r\n"
            b"Message-ID: <smoke@example.org>\r\n\r\n" + b"A line of the post body.\r\n" * 40
        )
        post = Post(
            list_id=mlist.id,
            raw=raw,
            sha256="smoke",
            mail_from="alice@example.org",
            sender="alice@example.org",
        )
        db.session.add(post)
        db.session.commit()
        process(post.id)
        db.engine.dispose()
        return post.id


def sent_count(settings: dict) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(settings["DATABASE_URL"])
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM deliveries WHERE status = 'sent'")).scalar_one()
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--database", default="", help="database URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    port = free_port()
    settings = {
        "DATABASE_URL": args.database or f"sqlite:///{folder / 'bench.db'}",
        "REDIS_URL": args.redis,
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": SECRET,
        "EGRESS": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "PUBLIC_URL": "https://lists.example.org",
    }
    sink = start_smtp_sink(port)
    workers: list[subprocess.Popen] = []
    try:
        prepare(settings, args.members)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")},
            **{f"MAILFLOW_{k}": v for k, v in settings.items()},
        }
        started = time.monotonic()
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.workers)
        ]
        peak = 0
        while (sent := sent_count(settings)) < args.members:
            peak = max([peak, *(rss_kib(w.pid) for w in workers)])
            if any(w.poll() is not None for w in workers):
                raise SystemExit("a worker exited early")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        print(
            f"{args.members} copies, {args.workers} worker(s), {settings['DATABASE_URL'].split(':')[0]}: "
            f"{elapsed:.1f} s, {sent / elapsed:.0f} copies/s, worker RSS peak {peak / 1024:.0f} MiB"
        )
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
