"""`python -m bench.mailman3_rest [--members N]`: how fast `mailflow import mailman3` reads a Mailman 3 list.

Seeds a real Mailman 3 core (from .venv-mailman3, as the tests do) with N members, then times the import
and counts REST requests: one per member for its delivery status, plus one per page of 500.
"""

from __future__ import annotations

import argparse
import time

from bench.services import Stack
from tests.support.mailman3 import PASSWORD, USER, Mailman3


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mailman3_rest")
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    mm = Mailman3()
    mm.start()
    try:
        mm.post("domains", {"mail_host": "example.org"})
        mm.post("lists", {"fqdn_listname": "big@example.org"})
        started = time.perf_counter()
        for i in range(args.members):
            mm.post(
                "members",
                {
                    "list_id": "big.example.org",
                    "subscriber": f"m{i}@example.net",
                    "pre_verified": True,
                    "pre_confirmed": True,
                    "pre_approved": True,
                },
            )
        print(f"seeded {args.members} members in {time.perf_counter() - started:.1f} s")
        with Stack("sqlite") as stack:
            started = time.perf_counter()
            done = stack.run_cli(
                "import", "mailman3", "--url", mm.url, "--user", USER, "--password", PASSWORD
            )
            seconds = time.perf_counter() - started
        requests = int(done.stdout.rsplit("(", 1)[1].split()[0])
        print(
            f"imported {args.members} members: {seconds:.1f} s, {requests} REST requests, "
            f"{requests / seconds:.0f} requests/s, {args.members / seconds:.0f} members/s"
        )
    finally:
        mm.stop()


if __name__ == "__main__":
    main()
