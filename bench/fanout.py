"""Part 2, fan-out: one post to a big list through RQ workers into Postfix's smtp-sink, counted per recipient."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis

from bench.report import Table
from bench.seed import AUTHOR, count_deliveries, make_list, post_bytes, recipients
from bench.services import Stack, peak_rss_mb
from bench.sinks import PostfixSink, postfix_tools_missing
from bench.wire import smtplib_ceiling

POST_SIZE = 2000
CEILING_COPIES = 10_000  # about five seconds: a shorter sample swung by a factor of five under load
SMOKE_CEILING_COPIES = 300  # the smoke run checks that the parts work, not the figures: a second, not ten


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    workers: tuple[int, ...]
    deadline: float  # seconds one post may take before the run is called incomplete
    ceiling: int = CEILING_COPIES  # copies smtplib sends for the wire figure, before and after each run


DEADLINE_PER_COPY = (
    0.002  # a 1,000,000-member post may take 2,000 s (500 copies/s) before it counts as incomplete
)
FULL = Plan(sizes=(10_000, 100_000), workers=(1, 2, 4), deadline=300)
SMOKE = Plan(sizes=(300,), workers=(1,), deadline=60, ceiling=SMOKE_CEILING_COPIES)


def run(
    db_kinds: list[str],
    smoke: bool,
    sizes: tuple[int, ...] = (),
    workers: tuple[int, ...] = (),
    settings: dict[str, str] | None = None,
) -> Table:
    """Every list size × worker count, per database (settings: MAILFLOW_ settings for every process)."""
    plan = SMOKE if smoke else FULL
    plan = Plan(sizes or plan.sizes, workers or plan.workers, plan.deadline, plan.ceiling)
    table = Table(
        "fanout",
        [
            "database",
            "members",
            "workers",
            "first copy s",
            "last copy s",
            "copies/s",
            "wire copies/s",
            "wire before/after",
            "vs wire",
            "peak RSS MB/worker",
            "database MB",
            "sent",
            "lost",
            "duplicated",
        ],
    )
    table.meta = {"plan": plan.__dict__, "post_size": POST_SIZE, "settings": shown(settings or {})}
    missing = postfix_tools_missing()
    if missing:
        table.notes.append(f"fan-out not measured: {missing}")
        return table
    for kind in db_kinds:
        _database(table, kind, plan, settings or {})
    table.notes.append(
        "database MB: the whole database on disk after the run (every list of the run so far). "
        "wire = smtplib sending the same prebuilt copy on one reused connection to the same "
        "smtp-sink, measured just before and just after each run (the mean of the two); "
        "copies/s = members / time to the last copy."
    )
    return table


def shown(settings: dict[str, str]) -> dict[str, str]:
    """The settings as the results file records them: secrets masked (named ones whole, URLs' passwords)."""
    from app.redaction import MASK, redact

    secret = ("PASSWORD", "SECRET", "TOKEN", "KEY")
    return {k: MASK if any(word in k for word in secret) else redact(v) for k, v in settings.items()}


def _database(table: Table, kind: str, plan: Plan, settings: dict[str, str]) -> None:
    with Stack(kind, **{"EGRESS": "smtp", "SMTP_HOST": "127.0.0.1", **settings}) as stack:
        sink = PostfixSink(stack.folder)
        sink.start()
        stack.settings["SMTP_PORT"] = str(sink.port)
        try:
            lists = {n: make_list(stack.app(), f"fan{n}@example.org", members=n) for n in plan.sizes}
            for size in plan.sizes:
                for workers in plan.workers:
                    _one(table, stack, sink, kind, plan, size, workers)
        finally:
            sink.stop()
        table.meta.setdefault("lists", {})[kind] = lists


def _one(
    table: Table, stack: Stack, sink: PostfixSink, kind: str, plan: Plan, size: int, workers: int
) -> None:
    """One post to the list of `size` members with `workers` workers; the wire sampled as the plan says."""
    from app.ingress.accept import Envelope, accept

    deadline = max(plan.deadline, size * DEADLINE_PER_COPY)
    address = f"fan{size}@example.org"
    raw = post_bytes(address, POST_SIZE, subject=f"fan-out {size} × {workers}")
    wire_before = smtplib_ceiling(sink.port, raw, plan.ceiling)
    sink.reset()
    Redis.from_url(stack.redis.url).flushdb()  # our private Redis: nothing left over from an earlier run
    procs = stack.start_workers(workers)
    app = stack.app()
    start = time.perf_counter()
    with app.app_context():
        post_id = accept(raw, Envelope(mail_from=AUTHOR, rcpt_tos=(address,)))[0]
    first, last, seen = _watch(sink, size, start, deadline)
    sent = _settled(app, post_id, seen, deadline / 4)
    rss = max(peak_rss_mb(p.pid) for p in procs)
    stack.stop_all(procs)
    lost, duplicated = sink.verdict(recipients(size))
    # The machine is shared: the wire is measured just before and just after the run, and averaged.
    wire_after = smtplib_ceiling(sink.port, raw, plan.ceiling)
    wire = (wire_before + wire_after) / 2
    complete = seen >= size
    table.add(
        database=kind,
        members=size,
        workers=workers,
        **{"first copy s": first, "last copy s": last},
        **{
            "copies/s": seen / last if last else 0.0,
            "wire copies/s": wire,
            "wire before/after": f"{wire_before:,.0f} / {wire_after:,.0f}",
            "vs wire": (seen / last) / wire if last else 0.0,
            "peak RSS MB/worker": rss,
            "database MB": database_mb(stack),
        },
        sent=sent,
        lost=lost if complete else f"{lost} (timeout)",
        duplicated=duplicated,
    )


def database_mb(stack: Stack) -> float:
    """The database's size on disk after the run (every list, member and delivery row so far), in MB."""
    if stack.db.kind == "sqlite":
        folder = stack.folder
        return sum(f.stat().st_size for f in folder.glob("bench.db*")) / 1e6
    import psycopg

    with psycopg.connect(stack.db.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return size[0] / 1e6 if size else float("nan")


def _watch(sink: PostfixSink, size: int, start: float, deadline: float) -> tuple[float, float, int]:
    """Poll the sink until every copy arrived or the deadline passed: (first, last, copies seen)."""
    first = last = 0.0
    seen = 0
    while time.perf_counter() - start < deadline:
        now_seen = sink.poll()
        now = time.perf_counter() - start
        if now_seen and not first:
            first = now
        if now_seen > seen:
            seen, last = now_seen, now
        if seen >= size:
            break
        time.sleep(0.02)
    return first, last, seen


def _settled(app, post_id: int, expected: int, timeout: float) -> int:
    """Wait until the workers recorded what the sink received; returns the rows marked sent."""
    deadline = time.perf_counter() + timeout
    sent = 0
    while time.perf_counter() < deadline:
        sent = count_deliveries(app, post_id).get("sent", 0)
        if sent >= expected:
            break
        time.sleep(0.1)
    return sent
