"""Part 6, migration: `mailflow import mailman2` of a generated 100,000-member config.pck, per database."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from bench.report import Table
from bench.services import Stack
from tests.support.mailman2 import mailman2_config, python2_pickle

FULL_MEMBERS, SMOKE_MEMBERS = 100_000, 500


def run(db_kinds: list[str], smoke: bool) -> Table:
    """Seconds and peak memory of one whole import (a fresh `mailflow` process, schema already built)."""
    members = SMOKE_MEMBERS if smoke else FULL_MEMBERS
    table = Table(
        "migration", ["database", "members", "imported", "seconds", "members/s", "peak MB", "file MB"]
    )
    table.meta = {"members": members}
    for kind in db_kinds:
        with Stack(kind) as stack:
            path = _write_config(stack.folder, members)
            started = time.perf_counter()
            done = stack.run_cli("import", "mailman2", "big@example.org", str(path))
            seconds = time.perf_counter() - started
            imported = int(done.stdout.split(" members added")[0].rsplit(" ", 1)[-1])
            table.add(
                database=kind,
                members=members,
                imported=imported,
                seconds=round(seconds, 2),
                **{"members/s": round(members / seconds), "peak MB": _peak_child_mb()},
                **{"file MB": round(path.stat().st_size / 2**20, 1)},
            )
    table.notes.append("seconds include the interpreter's start and the app's creation (about 1 s here)")
    return table


def _write_config(folder: Path, count: int) -> Path:
    """A Mailman 2.1-shaped config.pck: names for all, every 50th moderated, every 100th a digest member."""
    emails = [f"member{i:07d}@example{i % 97}.org".encode() for i in range(count)]
    regular = {e: 0 for i, e in enumerate(emails) if i % 100}
    digest = {e: 0 for i, e in enumerate(emails) if not i % 100}
    names = {e: f"Member Number {i}".encode() for i, e in enumerate(emails)}
    options = {e: 128 for i, e in enumerate(emails) if not i % 50}
    config = mailman2_config(regular, digest_members=digest, usernames=names, user_options=options)
    path = folder / "config.pck"
    path.write_bytes(python2_pickle(config))
    return path


def _peak_child_mb() -> float:
    """The largest resident size any finished child of this process reached (the import), in MB."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
