"""SMTP accept rate of `mailflow smtpd`, driven by Postfix's smtp-source.

    .venv/bin/python -m bench.smtp_ingress [--messages 2000] [--sessions 20] [--size 10240]
                                           [--database-url URL] [--redis-url URL] [--processes N]

Starts the receiver as a real process (`python -m smtpd`), sends with
`smtp-source -d -s SESSIONS -m MESSAGES -l SIZE`, then checks that every message is a post.
Default database: a fresh SQLite file in a temp dir. The Redis database given is flushed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from sqlalchemy import func, select

from bench.services import SECRET


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=10240, help="payload bytes per message")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--processes", type=int, default=1, help="MAILFLOW_SMTPD_PROCESSES")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Post
    from tests.support.db import truncate_all
    from tests.support.factories import make_list
    from tests.support.processes import service_env, start, wait_for_port
    from tests.support.smtp import free_port

    source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    folder = tempfile.mkdtemp(prefix="mailflow-bench-")
    port = free_port()
    Redis.from_url(args.redis_url).flushdb()
    settings = {
        "DATABASE_URL": args.database_url or f"sqlite:///{folder}/bench.db",
        "INSTANCE_PATH": folder,
        "SECRET_KEY": SECRET,
        "REDIS_URL": args.redis_url,
        "SMTPD_PORT": str(port),
        "SMTPD_PROCESSES": str(args.processes),
    }
    app = create_app(settings)
    with app.app_context():
        upgrade()
        truncate_all()
        make_list("team@example.org")
        log = Path(folder) / "smtpd.log"
        receiver = start(
            ["smtpd"],
            service_env(
                settings, REDIS_URL=args.redis_url, SMTPD_PORT=str(port), SMTPD_PROCESSES=str(args.processes)
            ),
            log=log,
        )
        try:
            wait_for_port(port, receiver)
            started = time.perf_counter()
            subprocess.run(
                [
                    source,
                    "-d",
                    "-s",
                    str(args.sessions),
                    "-m",
                    str(args.messages),
                    "-l",
                    str(args.size),
                    "-f",
                    "alice@example.org",
                    "-t",
                    "team@example.org",
                    f"127.0.0.1:{port}",
                ],
                check=True,
            )
            elapsed = time.perf_counter() - started
        finally:
            receiver.send_signal(signal.SIGTERM)
            receiver.wait(timeout=60)
        stored = db.session.scalar(select(func.count()).select_from(Post))
        truncate_all()
    Redis.from_url(args.redis_url).flushdb()
    print(
        f"{args.messages} messages of {args.size} bytes over {args.sessions} sessions in {elapsed:.2f}s: "
        f"{args.messages / elapsed:.0f} messages/s accepted ({settings['DATABASE_URL'].split(':')[0]}, "
        f"{args.processes} receiver process(es)); "
        f"{stored} posts stored"
    )
    if stored != args.messages:
        raise SystemExit(f"expected {args.messages} posts, found {stored}")


if __name__ == "__main__":
    main()
