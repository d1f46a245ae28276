"""Part 3, latency: `250` from our receiver → first copy at the sink, over posts to a small list."""

from __future__ import annotations

import math
import smtplib
import time
from dataclasses import dataclass

from bench.report import Table, percentile
from bench.seed import AUTHOR, make_list, post_bytes, recipients
from bench.services import Stack
from bench.sinks import ArrivalHandler, _message_id, start_arrival_sink


@dataclass(frozen=True)
class Plan:
    posts: int
    workers: int
    small: int
    big: int
    timeout: float


FULL = Plan(posts=200, workers=2, small=10, big=10_000, timeout=30)
SMOKE = Plan(posts=10, workers=1, small=10, big=200, timeout=30)


def run(db_kinds: list[str], smoke: bool) -> Table:
    """p50/p99 over posts to a small list, and the first copy of one post to a big list, per database."""
    plan = SMOKE if smoke else FULL
    table = Table(
        "latency", ["database", "case", "posts", "p50 ms", "p99 ms", "max ms", "copies", "lost", "duplicated"]
    )
    table.meta = {"plan": plan.__dict__}
    for kind in db_kinds:
        _database(table, kind, plan)
    table.notes.append(
        f"{plan.workers} `mailflow worker` processes; the clock starts when smtplib has the receiver's "
        "250 and stops when the first copy's DATA ends at an in-process aiosmtpd sink. "
        "wire = one SMTP transaction straight to that sink (the floor)."
    )
    return table


def _database(table: Table, kind: str, plan: Plan) -> None:
    controller, handler = start_arrival_sink()
    try:
        with Stack(kind, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port)) as stack:
            make_list(stack.app(), "small@example.org", members=plan.small)
            make_list(stack.app(), "big@example.org", members=plan.big)
            port = stack.start_smtpd(workers=plan.workers)
            wire = [_wire(controller.port, handler) for _ in range(20)]
            table.add(database=kind, case="wire: smtplib → sink", posts=len(wire), **_stats(wire))
            small = [
                _post(port, handler, "small@example.org", plan.small, plan.timeout) for _ in range(plan.posts)
            ]
            table.add(
                database=kind,
                case=f"{plan.small} members",
                posts=plan.posts,
                **_stats([s for s, _ in small]),
                **_verdict(handler, [k for _, k in small], plan.small),
            )
            big, key = _post(port, handler, "big@example.org", plan.big, plan.timeout * 4)
            table.add(
                database=kind,
                case=f"{plan.big:,} members (first copy)",
                posts=1,
                **_stats([big]),
                **_verdict(handler, [key], plan.big),
            )
    finally:
        controller.stop()


def _stats(samples: list[float]) -> dict:
    done = [s * 1000 for s in samples if not math.isnan(s)]
    return {"p50 ms": percentile(done, 50), "p99 ms": percentile(done, 99), "max ms": max(done, default=0.0)}


def _verdict(handler: ArrivalHandler, keys: list[str], members: int) -> dict:
    """Copies counted per (post, recipient) at the sink: every member once per post."""
    expected = recipients(members)
    with handler.lock:
        got = {k: n for k, n in handler.per_rcpt.items() if k[0] in set(keys)}
    lost = sum(1 for key in keys for rcpt in expected if (key, rcpt) not in got)
    extra = sum(n for (key, rcpt), n in got.items() if rcpt not in expected)
    return {"copies": sum(got.values()), "lost": lost, "duplicated": sum(n - 1 for n in got.values()) + extra}


def _wire(port: int, handler: ArrivalHandler) -> float:
    raw = post_bytes("wire@example.org", 2000)
    key = _message_id(raw)
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
        conn.sendmail(AUTHOR, ["wire@example.org"], raw)
    return handler.first.get(key, float("nan")) - start


def _post(
    port: int, handler: ArrivalHandler, address: str, members: int, timeout: float
) -> tuple[float, str]:
    """Send one post and wait for all its copies: (seconds from our 250 to its first copy or NaN, Message-ID)."""
    raw = post_bytes(address, 2000)
    key = _message_id(raw)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
        conn.sendmail(AUTHOR, [address], raw)
        accepted = time.monotonic()
    deadline = accepted + timeout
    while time.monotonic() < deadline and handler.copies.get(key, 0) < members:
        time.sleep(0.002)
    return handler.first.get(key, float("nan")) - accepted, key
