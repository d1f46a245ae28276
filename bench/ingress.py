"""Part 1, ingress: smtp-source → our receiver (durable commit) vs the same load → aiosmtpd's bare Sink."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from redis import Redis

from bench.report import Table
from bench.seed import AUTHOR, count_posts, make_list
from bench.services import Stack, free_port, stop_process
from bench.sinks import SMTP_SOURCE, PostfixSink, postfix_tools_missing, start_aiosmtpd_sink

LIST = "bench@example.org"


@dataclass(frozen=True)
class Load:
    messages: int
    sessions: int
    size: int


FULL = Load(messages=5000, sessions=20, size=10 * 1024)
SMOKE = Load(messages=200, sessions=4, size=10 * 1024)


def blast(port: int, load: Load) -> float:
    """Send the load with smtp-source (connections kept open); returns the seconds it took."""
    cmd = [SMTP_SOURCE, "-d", "-s", str(load.sessions), "-m", str(load.messages), "-l", str(load.size),
           "-f", AUTHOR, "-t", LIST, "-M", "example.org", f"127.0.0.1:{port}"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def run(db_kinds: list[str], smoke: bool) -> Table:
    """Measure ours against both references, per database."""
    load = SMOKE if smoke else FULL
    table = Table("ingress", ["database", "server", "messages", "sessions", "seconds", "msg/s", "vs Sink",
                              "stored", "lost", "duplicated"])
    table.meta = {"load": load.__dict__}
    missing = postfix_tools_missing()
    if missing:
        table.notes.append(f"ingress not measured: {missing}")
        return table
    for kind in db_kinds:
        _measure(table, kind, load)
    table.notes.append("Sink = aiosmtpd's bare Sink handler (`python -m aiosmtpd -c aiosmtpd.handlers.Sink`), "
                       "smtp-sink = Postfix's C sink; both measured just before and after ours, the mean is used.")
    return table


def _measure(table: Table, kind: str, load: Load) -> None:
    with Stack(kind) as stack:
        list_id = make_list(stack.app(), LIST, members=1)
        ours = stack.start_smtpd()
        ref_port = free_port()
        reference = start_aiosmtpd_sink(ref_port)
        postfix = PostfixSink(stack.folder, dump=False)
        postfix.start()
        try:
            sink_runs = [blast(ref_port, load)]
            postfix_runs = [blast(postfix.port, load)]
            our_seconds = blast(ours, load)
            sink_runs.append(blast(ref_port, load))
            postfix_runs.append(blast(postfix.port, load))
        finally:
            stop_process(reference)
            postfix.stop()
        stored, distinct = count_posts(stack.app(), list_id)
        queued = Redis.from_url(stack.redis.url).llen("rq:queue:mailflow-posts")
    sink_seconds = sum(sink_runs) / len(sink_runs)
    postfix_seconds = sum(postfix_runs) / len(postfix_runs)
    n = load.messages
    row = {"database": kind, "messages": n, "sessions": load.sessions}
    table.add(**row, server="smtp-sink", seconds=postfix_seconds, **{"msg/s": n / postfix_seconds},
              **{"vs Sink": sink_seconds / postfix_seconds})
    table.add(**row, server="aiosmtpd Sink", seconds=sink_seconds, **{"msg/s": n / sink_seconds},
              **{"vs Sink": 1.0})
    table.add(**row, server="mailflow smtpd", seconds=our_seconds, **{"msg/s": n / our_seconds},
              **{"vs Sink": sink_seconds / our_seconds}, stored=stored, lost=max(0, n - stored),
              duplicated=max(0, stored - n) + (stored - distinct))
    table.meta.setdefault("queued", {})[kind] = queued
