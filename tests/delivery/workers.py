"""`mailflow worker` subprocesses for fault tests, and a bounded wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings: dict, **extra: str) -> dict[str, str]:
    """The environment a worker process reads its configuration from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    for key, value in {**settings, **extra}.items():
        if isinstance(value, str) and key.isupper():
            env[f"MAILFLOW_{key}"] = value
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real `mailflow worker` process (RQ, with the reconciler)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: RQ's scheduler runs in a child process
        )


def kill9(process: subprocess.Popen) -> None:
    """kill -9 the worker and its scheduler child (which would otherwise live on, orphaned)."""
    _kill_group(process, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(process, signal.SIGKILL)
    process.wait(timeout=10)


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    """Poll check() until true; fail (with the worker log) after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what}\n{tail}")
