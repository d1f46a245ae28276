"""The member's own page: `python -m bench.manage [--lists N] [--requests R] [--db sqlite|postgresql]`.

One address subscribed to N lists (default 50, plus 10 open lists it is not on, which the page offers), on a
roster of 2,000 other members per list. Times GET /manage/TOKEN (the mailed link) over HTTP against
`mailflow web` (gunicorn, 2 workers), with /healthz in the same loop as the floor. Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse

from bench.archive import _up, timed
from bench.http import PanelClient
from bench.machine import describe
from bench.report import Table
from bench.services import START_TIMEOUT, Stack, free_port, wait_for

PERSON = "pat@example.net"
OTHERS = 2000  # other members per list: the page must not read whole rosters


def seed(stack: Stack, lists: int) -> str:
    """N lists with the person and OTHERS members each, 10 open lists without them; the person's link path."""
    from app.extensions import db
    from app.mail.tokens import TokenPurpose, sign_data
    from app.membership.lines import Entry
    from app.membership.members import add_members
    from app.models import MailingList

    with stack.app().app_context():
        for n in range(lists + 10):
            mlist = MailingList(local_part=f"list{n:03d}", domain="example.org", display_name=f"List {n}",
                                subscription_policy="open" if n >= lists else "confirm")  # fmt: skip
            db.session.add(mlist)
            db.session.flush()
            crowd = [Entry(f"m{i}@example.com", f"Member {i}") for i in range(OTHERS)]
            add_members(mlist.id, crowd + ([Entry(PERSON, "Pat")] if n < lists else []))
            db.session.commit()
        return "/manage/" + sign_data(TokenPurpose.ADDRESS, PERSON)


def run_one(kind: str, lists: int, requests: int, table: Table) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Stack(kind, WEB_PORT=str(port), PUBLIC_URL=base) as stack:
        path = seed(stack, lists)
        stack.spawn("web", "--workers", "2")
        client = PanelClient(base)
        wait_for(lambda: _up(client), START_TIMEOUT, "mailflow web did not answer /healthz")
        for _ in range(10):  # warm both workers (imports, template compilation, connection pool)
            client.get(path)
        timed(table, kind, client, f"manage page, {lists} subscriptions", path, f"List {lists - 1}", requests)
        timed(table, kind, client, "request form /manage", "/manage", "Mail me a link", requests)


def run(db_kinds: list[str], smoke: bool, lists: int = 50, requests: int = 200) -> Table:
    """The bench part (`python -m bench manage`); --smoke: 5 lists, 10 requests."""
    table = Table("manage", ["database", "case", "requests", "p50 ms", "p95 ms", "healthz p95 ms"])
    for kind in db_kinds:
        run_one(kind, 5 if smoke else lists, 10 if smoke else requests, table)
    table.notes.append("Whole HTTP round trips on loopback to `mailflow web` (gunicorn, 2 workers).")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.manage", description=__doc__)
    parser.add_argument("--lists", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    table = run(
        [k.strip() for k in args.db.split(",")], smoke=False, lists=args.lists, requests=args.requests
    )
    table.meta = {"lists": args.lists, "requests": args.requests}
    print(table.render())
    print(table.write(smoke=args.lists < 50, machine=describe()))


if __name__ == "__main__":
    main()
