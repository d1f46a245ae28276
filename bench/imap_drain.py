"""Messages per second the IMAP poller drains from a backlog in a real Dovecot.

    .venv/bin/python -m bench.imap_drain [--messages 1000] [--database-url URL] [--redis-url URL] [--profile]

Starts a private Dovecot (as root, like the tests), APPENDs the backlog, then times one drain:
fetch in chunks, accept() (commit + enqueue to Redis), MOVE to Processed, cursor update.
Default database: a fresh SQLite file in a temp dir. The Redis database given is flushed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time

from redis import Redis

from bench.services import SECRET


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.ingress.imap import Poller
    from tests.ingress.imap_fixtures import USER, mailbox_config, open_mailbox, seed
    from tests.support.db import truncate_all
    from tests.support.dovecot import Dovecot
    from tests.support.factories import make_list

    folder = tempfile.mkdtemp(prefix="mailflow-bench-")
    Redis.from_url(args.redis_url).flushdb()
    app = create_app(
        {
            "DATABASE_URL": args.database_url or f"sqlite:///{folder}/bench.db",
            "INSTANCE_PATH": folder,
            "SECRET_KEY": SECRET,
            "REDIS_URL": args.redis_url,
        }
    )
    dovecot = Dovecot({USER: "secret"})
    dovecot.start()
    try:
        with app.app_context():
            upgrade()
            truncate_all()
            make_list("team@example.org")
            started = time.perf_counter()
            seed(dovecot, args.messages, prefix="bench")
            seeded = time.perf_counter() - started
            config = mailbox_config(dovecot, batch_size=args.batch)
            profile = cProfile.Profile() if args.profile else None
            with open_mailbox(config) as box:
                started = time.perf_counter()
                if profile:
                    profile.enable()
                drained = Poller(app, config).drain(box)
                elapsed = time.perf_counter() - started
                if profile:
                    profile.disable()
            truncate_all()
        print(f"seeded {args.messages} messages by APPEND in {seeded:.1f}s")
        print(
            f"drained {drained} messages in {elapsed:.2f}s: {drained / elapsed:.0f} messages/s "
            f"(batch {args.batch}, {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})"
        )
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    finally:
        dovecot.cleanup()
        Redis.from_url(args.redis_url).flushdb()


if __name__ == "__main__":
    main()
