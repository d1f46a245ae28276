"""Split the suite's files into shards of about equal run time, so scripts/test can run them side by side.

MAILFLOW_TEST_SHARD=K/N keeps the K-th of N shards. Whole files go to one shard (module fixtures stay
whole); files are dealt heaviest first to the lightest shard, by the times in durations.json (one full
run's seconds per file on each database, MAILFLOW_TEST_DB's being used; a file not in it counts as a
typical one). Every shard of one database computes the same split.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

DURATIONS = Path(__file__).with_name("durations.json")


def parse(spec: str) -> tuple[int, int]:
    """'2/3' -> (1, 3): the zero-based shard and the number of shards."""
    number, _, count = spec.partition("/")
    if not (number.isdecimal() and count.isdecimal() and 1 <= int(number) <= int(count)):
        raise ValueError(f"MAILFLOW_TEST_SHARD must look like 1/2, not {spec!r}")
    return int(number) - 1, int(count)


def files_of(spec: str, files: list[str]) -> set[str]:
    """The files (node-id paths) that belong to the shard spec names."""
    index, count = parse(spec)
    times = json.loads(DURATIONS.read_text())[os.environ.get("MAILFLOW_TEST_DB", "sqlite")]
    typical = statistics.median(times.values())
    loads = [0.0] * count
    mine: set[str] = set()
    for name in sorted(set(files), key=lambda f: (-times.get(f, typical), f)):
        lightest = loads.index(min(loads))
        loads[lightest] += times.get(name, typical)
        if lightest == index:
            mine.add(name)
    return mine
