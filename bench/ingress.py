"""Part 1, ingress: smtp-source → our receiver (durable commit) vs the same load → aiosmtpd's bare Sink."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
    cmd = [
        SMTP_SOURCE,
        "-d",
        "-s",
        str(load.sessions),
        "-m",
        str(load.messages),
        "-l",
        str(load.size),
        "-f",
        AUTHOR,
        "-t",
        LIST,
        "-M",
        "example.org",
        f"127.0.0.1:{port}",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def run(db_kinds: list[str], smoke: bool) -> Table:
    """Measure ours against both references, per database."""
    load = SMOKE if smoke else FULL
    table = Table(
        "ingress",
        [
            "database",
            "server",
            "messages",
            "sessions",
            "seconds",
            "msg/s",
            "vs Sink",
            "stored",
            "lost",
            "duplicated",
        ],
    )
    table.meta = {"load": load.__dict__}
    missing = postfix_tools_missing()
    if missing:
        table.notes.append(f"ingress not measured: {missing}")
        return table
    for kind in db_kinds:
        _measure(table, kind, load)
    table.notes.append(
        "Sink = aiosmtpd's bare Sink handler (`python -m aiosmtpd -c aiosmtpd.handlers.Sink`), "
        "smtp-sink = Postfix's C sink; both measured just before and after ours, the mean is used."
    )
    return table


def _measure(table: Table, kind: str, load: Load) -> None:
    """Sink, smtp-sink, ours with one process, ours with one process per core, Sink and smtp-sink again."""
    reference, postfix = _references(load)
    ours = {n: _ours(kind, load, n) for n in dict.fromkeys((1, os.cpu_count() or 1))}
    reference.extend(_references(load)[0])
    postfix.extend(_references(load)[1])
    sink_seconds, postfix_seconds = sum(reference) / len(reference), sum(postfix) / len(postfix)
    n = load.messages
    row = {"database": kind, "messages": n, "sessions": load.sessions}
    table.add(
        **row,
        server="smtp-sink",
        seconds=postfix_seconds,
        **{"msg/s": n / postfix_seconds},
        **{"vs Sink": sink_seconds / postfix_seconds},
    )
    table.add(
        **row, server="aiosmtpd Sink", seconds=sink_seconds, **{"msg/s": n / sink_seconds}, **{"vs Sink": 1.0}
    )
    for processes, (seconds, stored, distinct) in ours.items():
        table.add(
            **row,
            server=f"mailflow smtpd, {processes} process{'es' if processes > 1 else ''}",
            seconds=seconds,
            **{"msg/s": n / seconds},
            **{"vs Sink": sink_seconds / seconds},
            stored=stored,
            lost=max(0, n - stored),
            duplicated=max(0, stored - n) + (stored - distinct),
        )


def _references(load: Load) -> tuple[list[float], list[float]]:
    """One blast at aiosmtpd's bare Sink and one at Postfix's smtp-sink: ([Sink seconds], [smtp-sink seconds])."""
    with tempfile.TemporaryDirectory(prefix="mailflow-bench-") as folder:
        ref_port = free_port()
        reference = start_aiosmtpd_sink(ref_port)
        postfix = PostfixSink(Path(folder), dump=False)
        postfix.start()
        try:
            return [blast(ref_port, load)], [blast(postfix.port, load)]
        finally:
            stop_process(reference)
            postfix.stop()


def _ours(kind: str, load: Load, processes: int) -> tuple[float, int, int]:
    """Our receiver with MAILFLOW_SMTPD_PROCESSES=processes on a fresh database: (seconds, stored, distinct)."""
    with Stack(kind) as stack:
        list_id = make_list(stack.app(), LIST, members=1)
        seconds = blast(stack.start_smtpd(processes=processes), load)
        stored, distinct = count_posts(stack.app(), list_id)
    return seconds, stored, distinct
