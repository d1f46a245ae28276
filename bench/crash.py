"""Crash recovery: kill -9 a worker mid fan-out and empty Redis at the same moment; how soon is every copy out?

Default settings throughout (lease, reconcile interval, batch size). The killed worker is replaced at once,
as systemd's Restart=always does. The sink can answer each DATA late, like a slow relay.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from redis import Redis
from sqlalchemy import select

from bench.report import Table
from bench.seed import AUTHOR, make_list, post_bytes
from bench.services import Stack, free_port, mailflow_command, wait_for

KILL_AT = 0.10  # the share of copies out when the worker is killed, as in the issue


@dataclass(frozen=True)
class Case:
    members: int
    workers: int
    data_delay: float  # seconds the relay waits before answering each DATA
    connections: int = 0  # MAILFLOW_SMTP_CONNECTIONS for the workers; 0: the default


# The case (3,000 members) with a slow relay: 2,700 copies in 60 s at 0.5 s each take 45 at once;
# four workers with the default connections (10 a worker) have 40.
FULL = (
    Case(3000, 1, 0.0),
    Case(3000, 2, 0.0),
    Case(600, 4, 0.5),
    Case(3000, 4, 0.5),
)
SMOKE = (Case(200, 1, 0.0),)


@dataclass
class SlowSink:
    """An aiosmtpd sink that answers DATA after data_delay seconds and notes when each recipient arrived."""

    data_delay: float
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        now = time.monotonic()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.arrivals.setdefault(rcpt, []).append(now)
        return "250 2.0.0 accepted"

    def count(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.arrivals.values())


def run(
    db_kinds: list[str], smoke: bool, sizes: tuple[int, ...] = (), workers: tuple[int, ...] = ()
) -> Table:
    """Every case (or those of the given member and worker counts) on every database."""
    table = Table(
        "crash",
        [
            "database",
            "members",
            "workers",
            "relay DATA s",
            "SMTP connections a worker",
            "copies out at kill",
            "held by the dead worker",
            "its first copy again s after kill",
            "its last copy s after kill",
            "last copy s after kill",
            "duplicates",
            "lost",
        ],
    )
    for kind in db_kinds:
        for case in SMOKE if smoke else FULL:
            if (not sizes or case.members in sizes) and (not workers or case.workers in workers):
                _one(table, kind, case)
    table.notes.append(
        "kill -9 of one worker's process group at 10 % of the fan-out, FLUSHDB at the same moment, "
        "a new worker started at once; default lease and reconcile settings."
    )
    return table


def _one(table: Table, kind: str, case: Case) -> None:
    handler = SlowSink(case.data_delay)
    sink = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    sink.start()
    try:
        extra = {"SMTP_CONNECTIONS": str(case.connections)} if case.connections else {}
        with Stack(kind, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), **extra) as stack:
            _measure(table, stack, handler, kind, case)
    finally:
        sink.stop()


def _default_connections() -> int:
    from app.config import Settings

    return Settings.SMTP_CONNECTIONS


def _spawn_worker(stack: Stack) -> subprocess.Popen:
    """A worker in its own process group, so kill -9 takes its RQ scheduler child too."""
    log = open(stack.folder / f"worker-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 (lives with the child)
    return subprocess.Popen(
        [*mailflow_command(), "worker"],
        env=stack.env(),
        cwd=stack.folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _measure(table: Table, stack: Stack, handler: SlowSink, kind: str, case: Case) -> None:
    from app.ingress.accept import Envelope, accept

    address = f"crash{case.members}@example.org"
    make_list(stack.app(), address, members=case.members)
    workers = stack.await_workers([_spawn_worker(stack) for _ in range(case.workers)])
    stack.procs += workers
    with stack.app().app_context():
        accept(post_bytes(address, 2000), Envelope(mail_from=AUTHOR, rcpt_tos=(address,)))
    wait_for(lambda: handler.count() >= case.members * KILL_AT, 600, "copies before the kill", 0.01)
    victim = _busiest(stack, workers)
    os.killpg(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    Redis.from_url(stack.redis.url).flushdb()
    out_at_kill = handler.count()
    held = _held_by(stack, victim.pid)
    stack.procs.append(_spawn_worker(stack))
    wait_for(lambda: len(handler.arrivals) >= case.members, 1800, "every recipient's copy", 0.05)
    time.sleep(1)  # a duplicate of the last chunk may still be on its way
    again = [t for r in held for t in handler.arrivals.get(r, []) if t > killed_at]
    last = max(t for times in handler.arrivals.values() for t in times)
    counts = Counter({r: len(times) for r, times in handler.arrivals.items()})
    table.add(
        database=kind,
        members=case.members,
        workers=case.workers,
        **{"relay DATA s": case.data_delay, "copies out at kill": out_at_kill},
        **{"SMTP connections a worker": case.connections or f"default ({_default_connections()})"},
        **{"held by the dead worker": len(held)},
        **{"its first copy again s after kill": (min(again) - killed_at) if again else float("nan")},
        **{"its last copy s after kill": (max(again) - killed_at) if again else float("nan")},
        **{"last copy s after kill": last - killed_at},
        duplicates=sum(counts.values()) - len(counts),
        lost=case.members - len(counts),
    )


def _busiest(stack: Stack, workers: list[subprocess.Popen]) -> subprocess.Popen:
    """The worker holding the most copies right now: the one whose death costs the most."""
    held = {w.pid: len(_held_by(stack, w.pid)) for w in workers}
    return max(workers, key=lambda w: held[w.pid])


def _held_by(stack: Stack, pid: int) -> list[str]:
    """Recipients of the copies the dead worker had claimed and not recorded."""
    from app.extensions import db
    from app.models import Delivery, DeliveryStatus

    with stack.app().app_context():
        return list(
            db.session.scalars(
                select(Delivery.recipient).where(
                    Delivery.status == DeliveryStatus.SENDING, Delivery.lease_owner.contains(f":{pid}:")
                )
            )
        )
