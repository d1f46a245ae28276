"""The list archive at scale: `python -m bench.archive [--messages N] [--requests R] [--db sqlite|postgresql]`.

Builds an mboxrd file of N messages (threads of five, 24 months), imports it with `mailflow archive import`
(timed), then times the archive pages, search and export.mbox over HTTP against `mailflow web` (gunicorn,
2 workers) with /healthz in the same loop as the floor; export memory is the web workers' peak RSS.
"""

from __future__ import annotations

import argparse
import random
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bench.http import PanelClient
from bench.machine import describe
from bench.report import Table, percentile
from bench.services import START_TIMEOUT, Stack, free_port, wait_for

LIST = "arch@example.org"
WORDS = (
    "river kayak budget meeting release kernel patch review lunch garden paddle server network "
    "database storage archive thread reply invoice travel weather concert library window ticket"
).split()
THREAD = 5
START_OF: dict[int, datetime] = {}  # the first message's date, per archive size


def message(n: int, start: datetime) -> tuple[str, datetime, bytes]:
    """The n-th message: every fifth starts a thread, the others answer the previous one."""
    rng = random.Random(n)
    date = start + timedelta(minutes=7 * n)
    root = n - n % THREAD
    subject = f"Topic {root} {rng.choice(WORDS)}" if n == root else f"Re: Topic {root}"
    head = [
        f"From: Person {n % 997} <person{n % 997}@example.net>",
        f"To: {LIST}",
        f"Subject: {subject}",
        f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <m{n}@bench.example>",
    ]
    if n != root:
        head += [
            f"In-Reply-To: <m{n - 1}@bench.example>",
            f"References: <m{root}@bench.example> <m{n - 1}@bench.example>",
        ]
    lines = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(25)]
    lines.insert(3, "From the archive, a line mboxrd must quote")
    raw = ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()
    return f"person{n % 997}@example.net", date, raw


def write_mbox(path: Path, count: int) -> int:
    """An mboxrd file of count messages; returns its size."""
    from app.archive.mbox import entry

    start = START_OF.setdefault(count, datetime.now(UTC) - timedelta(minutes=7 * count))
    with path.open("wb") as out:
        for n in range(count):
            out.write(entry(*message(n, start)))
    return path.stat().st_size


def timed(
    table: Table, kind: str, client: PanelClient, case: str, path: str, must: str, requests: int
) -> None:
    """p50/p95 of path, with /healthz measured in the same loop."""
    times, floor, status = [], [], 0
    for _ in range(requests):
        status, body, seconds = client.get(path)
        if status != 200 or must not in body:
            raise RuntimeError(f"{case}: HTTP {status} without {must!r}")
        times.append(seconds * 1000)
        floor.append(client.get("/healthz")[2] * 1000)
    figures = {"p50 ms": percentile(times, 50), "p95 ms": percentile(times, 95)}
    table.add(
        database=kind, case=case, requests=requests, **figures, **{"healthz p95 ms": percentile(floor, 95)}
    )


def worker_rss_mb(master_pid: int) -> float:
    """The largest peak RSS (VmHWM) among the gunicorn master's children."""
    peak = 0.0
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def export_rate(table: Table, kind: str, base: str, web_pid: int) -> None:
    """Stream the whole export.mbox; MB/s and the web workers' peak RSS before and after."""
    before = worker_rss_mb(web_pid)
    start, size = time.perf_counter(), 0
    with urllib.request.urlopen(f"{base}/archive/{LIST}/export.mbox", timeout=600) as resp:
        while chunk := resp.read(1 << 20):
            size += len(chunk)
    seconds = time.perf_counter() - start
    table.add(database=kind, case=f"export.mbox, {size / 1e6:.0f} MB", requests=1, **{"MB/s": size / 1e6 / seconds,
              "peak RSS MB before": before, "peak RSS MB after": worker_rss_mb(web_pid)})  # fmt: skip


def run_one(kind: str, count: int, requests: int, table: Table) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Stack(kind, WEB_PORT=str(port), PUBLIC_URL=base) as stack:
        stack.run_cli("lists", "create", LIST)
        mbox = stack.folder / "bench.mbox"
        size = write_mbox(mbox, count)
        start = time.perf_counter()
        done = stack.run_cli("archive", "import", LIST, str(mbox))
        seconds = time.perf_counter() - start
        table.add(database=kind, case=f"import {count:,} messages ({size / 1e6:.0f} MB)", requests=1,
                  **{"seconds": seconds, "msg/s": count / seconds, "note": done.stdout.strip()[-90:]})  # fmt: skip
        _public(stack)  # `mailflow lists set` arrives with issue 11
        web = stack.spawn("web", "--workers", "2")
        client = PanelClient(base)
        wait_for(lambda: _up(client), START_TIMEOUT, "mailflow web did not answer /healthz")
        middle = count // 2 - (count // 2) % THREAD
        month = message(middle, START_OF[count])[1].strftime("%Y-%m")
        cases = [
            ("/healthz (floor)", "/healthz", "ok"),
            ("month index", f"/archive/{LIST}/", "messages"),
            ("one month's threads", f"/archive/{LIST}/{month}", "Topic"),
            ("thread page", f"/archive/{LIST}/t/{quote(f'm{middle}@bench.example')}", f"Topic {middle}"),
            (
                "message page",
                f"/archive/{LIST}/m/{quote(f'm{middle + 2}@bench.example')}",
                f"Re: Topic {middle}",
            ),
            ("search 'kayak'", f"/archive/{LIST}/search?q=kayak", "<mark>"),
            (
                "search 'kayak river' by author",
                f"/archive/{LIST}/search?q=kayak+river&author=person5",
                "Search",
            ),
            ("search, page 5", f"/archive/{LIST}/search?q=garden&page=5", "<mark>"),
        ]
        for case, path, must in cases:
            timed(table, kind, client, case, path, must, requests)
        export_rate(table, kind, base, web.pid)


def prepare_overhead(kind: str, posts: int, table: Table) -> None:
    """What archiving adds to a post's prepare phase (the only place it runs): archive off and on, alternating."""
    import hashlib
    import statistics

    from app.extensions import db
    from app.models import Post, PostStatus
    from app.pipeline.runner import prepare
    from tests.support.factories import make_list

    with Stack(kind) as stack, stack.app().app_context():
        mlist = make_list("overhead@example.org", "Overhead", footer_template="-- \n{{ list_name }}")
        times: dict[str, list[float]] = {"none": [], "private": []}
        start = datetime.now(UTC)
        for n in range(posts):
            policy = "none" if n % 2 else "private"
            mlist.archive_policy = policy
            raw = message(n, start)[2]
            post = Post(list_id=mlist.id, raw=raw, size=len(raw), sha256=hashlib.sha256(raw).hexdigest(),
                        status=PostStatus.ACCEPTED, message_id=f"<m{n}@bench.example>")  # fmt: skip
            db.session.add(post)
            db.session.commit()
            began = time.perf_counter()
            prepare(post)
            times[policy].append((time.perf_counter() - began) * 1000)
        for policy, values in times.items():
            table.add(database=kind, case=f"prepare one 2 kB post, archive {policy}", requests=len(values),
                      **{"p50 ms": statistics.median(values), "p95 ms": percentile(values, 95)})  # fmt: skip


def _public(stack: Stack) -> None:
    from app.extensions import db
    from app.lists.lookup import find_list

    app = stack.app()
    with app.app_context():
        find_list(LIST).archive_policy = "public"
        db.session.commit()


def _up(client: PanelClient) -> bool:
    try:
        return client.get("/healthz")[0] == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument(
        "--overhead", type=int, default=0, help="only time prepare() with the archive off/on, N posts"
    )
    args = parser.parse_args()
    columns = ["database", "case", "requests", "p50 ms", "p95 ms", "healthz p95 ms", "seconds", "msg/s", "MB/s",
               "peak RSS MB before", "peak RSS MB after", "note"]  # fmt: skip
    table = Table("archive", columns)
    table.meta = {"messages": args.messages, "requests": args.requests}
    for kind in args.db.split(","):
        if args.overhead:
            prepare_overhead(kind.strip(), args.overhead, table)
        else:
            run_one(kind.strip(), args.messages, args.requests, table)
    table.notes.append(
        "Whole HTTP round trips on loopback to `mailflow web` (gunicorn, 2 workers); /healthz is the floor."
    )
    print(table.render())
    print(table.write(smoke=args.messages < 10_000, machine=describe()))


if __name__ == "__main__":
    main()
