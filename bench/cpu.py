"""Part 5, pipeline CPU: a real worker run under cProfile; cost per post (decide + prepare) and per copy
(decorate + serialise + send), the top five costs, and building an EmailMessage per copy as the reference."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import SMTP

from bench.report import Table
from bench.seed import AUTHOR, count_deliveries, make_list, post_bytes
from bench.services import Stack
from bench.sinks import PostfixSink, postfix_tools_missing

# (label, module path suffix, function names): the stage is the costliest of these functions found.
STAGES = (
    ("decide (moderation)", "app/pipeline/runner.py", ("moderate",)),
    ("prepare (handlers)", "app/pipeline/runner.py", ("prepare",)),
    ("fan out (delivery rows and jobs)", "app/pipeline/recipients.py", ("fan_out",)),
    ("deliver (all per-copy work, every batch)", "app/pipeline/deliver.py", ("deliver_batch",)),
    ("  claim copies (claims.claim)", "app/pipeline/claims.py", ("claim",)),
    ("  fence each chunk (claims.fence)", "app/pipeline/claims.py", ("fence",)),
    ("  build each copy (deliver.outgoing)", "app/pipeline/deliver.py", ("outgoing",)),
    ("  record outcomes (deliver.record/_apply)", "app/pipeline/deliver.py", ("record", "_apply")),
    ("personalise", "app/pipeline/personalise.py", ()),
    ("egress send", "app/egress/", ()),
)
WORKER_DEADLINE = 600
IDLE = ("'acquire' of", "'select' of", "'poll' of", "sleep", "'wait' of")
PER_POST = ("decide (moderation)", "prepare (handlers)")


@dataclass(frozen=True)
class Plan:
    posts: int
    members: int


FULL = Plan(posts=4, members=1000)
SMOKE = Plan(posts=2, members=50)


def run(db_kinds: list[str], smoke: bool) -> Table:
    """Profile one burst worker over plan.posts posts to a plan.members list (first database only)."""
    plan = SMOKE if smoke else FULL
    table = Table("cpu", ["database", "what", "ms total", "per post ms", "per copy µs", "share %"])
    table.meta = {"plan": plan.__dict__}
    missing = postfix_tools_missing()
    if missing:
        table.notes.append(f"cpu not measured: {missing}")
        return table
    kind = db_kinds[0]
    with Stack(kind, EGRESS="smtp", SMTP_HOST="127.0.0.1") as stack:
        sink = PostfixSink(stack.folder, dump=False)
        sink.start()
        stack.settings["SMTP_PORT"] = str(sink.port)
        try:
            stats, wall, raw = _profile(stack, plan)
        finally:
            sink.stop()
    copies = plan.posts * plan.members
    _stages(table, kind, stats, plan, copies, wall)
    _reference(table, kind, raw, copies)
    table.meta["top_own_time"] = _top(stats, 5)
    table.meta["by_package"] = _by_package(stats)
    table.notes.append(
        "top five by own time: " + "; ".join(f"{name} {ms:.0f} ms" for name, ms in _top(stats, 5))
    )
    table.notes.append(
        "own time by package: " + ", ".join(f"{pkg} {pct:.0f}%" for pkg, pct in _by_package(stats)[:8])
    )
    return table


def _profile(stack: Stack, plan: Plan) -> tuple[pstats.Stats, float, bytes]:
    from app.ingress.accept import Envelope, accept
    from app.jobs.worker import run_worker

    app = stack.app()
    make_list(app, "cpu@example.org", members=plan.members)
    raw, post_ids = b"", []
    with app.app_context():
        for i in range(plan.posts):
            raw = post_bytes("cpu@example.org", 2000, subject=f"cpu {i}")
            post_ids += accept(raw, Envelope(mail_from=AUTHOR, rcpt_tos=("cpu@example.org",)))
    profiler = cProfile.Profile()
    # The worker stops warmly on SIGTERM: that bounds the run if copies keep failing and being retried.
    watchdog = threading.Timer(WORKER_DEADLINE, os.kill, (os.getpid(), signal.SIGTERM))
    watchdog.start()
    start = time.perf_counter()
    profiler.enable()
    try:
        run_worker(app, burst=True)
    finally:
        profiler.disable()
        watchdog.cancel()
    wall = time.perf_counter() - start
    sent = sum(count_deliveries(app, post_id).get("sent", 0) for post_id in post_ids)
    if sent != plan.posts * plan.members:
        raise RuntimeError(f"only {sent} of {plan.posts * plan.members} copies were sent; see {stack.folder}")
    return pstats.Stats(profiler, stream=io.StringIO()), wall, raw


def _stage_ms(stats: pstats.Stats, suffix: str, names: tuple[str, ...]) -> float:
    best = 0.0
    for (filename, _, func), (_, _, _, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if suffix in filename.replace("\\", "/") and (not names or func in names):
            best = max(best, cumtime)
    return best * 1000


def _stages(table: Table, kind: str, stats: pstats.Stats, plan: Plan, copies: int, wall: float) -> None:
    total = stats.total_tt * 1000  # type: ignore[attr-defined]
    table.add(
        database=kind,
        what=f"worker run ({plan.posts} posts × {plan.members} members)",
        **{
            "ms total": wall * 1000,
            "per post ms": wall * 1000 / plan.posts,
            "per copy µs": wall * 1e6 / copies,
            "share %": 100.0,
        },
    )
    for label, suffix, names in STAGES:
        ms = _stage_ms(stats, suffix, names)
        per_post = label in PER_POST
        table.add(
            database=kind,
            what=label,
            **{
                "ms total": ms,
                "per post ms": ms / plan.posts if per_post else float("nan"),
                "per copy µs": float("nan") if per_post else ms * 1000 / copies,
                "share %": 100 * ms / total,
            },
        )


def _reference(table: Table, kind: str, raw: bytes, copies: int) -> None:
    """Reference: parse and re-serialise an EmailMessage per copy, as a naive list server would."""
    n = min(copies, 2000)
    start = time.perf_counter()
    for i in range(n):
        msg = message_from_bytes(raw, policy=SMTP)
        msg["List-Unsubscribe"] = f"<https://lists.example.org/unsubscribe/{i}>"
        msg.as_bytes()
    per_copy = (time.perf_counter() - start) * 1e6 / n
    table.add(
        database=kind,
        what="reference: EmailMessage parse + header + as_bytes per copy",
        **{
            "ms total": per_copy * n / 1000,
            "per post ms": float("nan"),
            "per copy µs": per_copy,
            "share %": float("nan"),
        },
    )


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/issue7/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _top(stats: pstats.Stats, count: int) -> list[tuple[str, float]]:
    """The costliest functions by own time, leaving out idle waits (locks, select, sleep)."""
    rows = sorted(
        ((k, v) for k, v in stats.stats.items() if not any(w in k[2] for w in IDLE)),  # type: ignore
        key=lambda kv: kv[1][2],
        reverse=True,
    )
    return [(f"{_short(f)}:{line}({func})", tt * 1000) for (f, line, func), (_, _, tt, _, _) in rows[:count]]


def _by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    own: dict[str, float] = defaultdict(float)
    for (filename, _, func), (_, _, tt, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = _short(filename)
        package = short.split("/", 1)[0] if "/" in short else (short if short != "~" else f"builtin {func}")
        own[package.removesuffix(".py")] += tt
    total = sum(own.values()) or 1.0
    return sorted(((p, 100 * t / total) for p, t in own.items()), key=lambda kv: kv[1], reverse=True)
