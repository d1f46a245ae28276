"""prometheus_client's multiprocess mode: every process of a host counts into files in one folder.

The `mailflow` process starters call `enable_multiprocess` before the process counts anything; gunicorn
workers and forked receivers inherit it. The scrape sums the files (counters and histograms of processes
that exited still count, so a restart never makes a counter go back) and, for the live gauges, first drops
the files of processes that are gone (`sweep_dead`: a process killed with SIGKILL cannot say so itself).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask
from prometheus_client import values
from prometheus_client.multiprocess import mark_process_dead

ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"
LIVE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def metrics_folder(app: Flask) -> Path:
    """MAILFLOW_METRICS_DIR, else `metrics` in the instance folder."""
    configured = app.config["MAILFLOW"].METRICS_DIR
    return Path(configured) if configured else Path(app.instance_path) / "metrics"


def enable_multiprocess(app: Flask) -> Path:
    """Count into the shared folder from now on (this process and its children); returns the folder."""
    folder = metrics_folder(app)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ[ENVIRONMENT] = str(folder)
    values.ValueClass = values.MultiProcessValue()
    return folder


def multiprocess_folder() -> Path | None:
    """The folder this process counts into, if multiprocess mode is on."""
    folder = os.environ.get(ENVIRONMENT, "")
    return Path(folder) if folder and Path(folder).is_dir() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead(folder: Path) -> list[int]:
    """Mark the processes whose live-gauge files remain but who are gone; returns their pids."""
    dead = sorted(
        {int(m[1]) for f in folder.iterdir() if (m := LIVE_FILE.match(f.name)) and not _alive(int(m[1]))}
    )
    for pid in dead:
        mark_process_dead(pid, str(folder))
    return dead
