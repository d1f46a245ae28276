"""Run `mailflow` services as real subprocesses (from the repo root) against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def service_env(settings: dict, **extra: str) -> dict[str, str]:
    """The environment a subprocess needs to see the same instance as the test's app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    values = {**settings, **extra}
    for name in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY", "PUBLIC_URL", *extra):
        if name in values:
            env[f"MAILFLOW_{name}"] = str(values[name])
    return env


def start(args: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """Start `python -m ARGS...` in the repo root; output to the log file, else captured (read it, or the
    pipe fills up and the service blocks)."""
    if log is None:
        return subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=out, stderr=out)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    """Block until something accepts connections on 127.0.0.1:port; fail if the process died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read().decode()[-2000:] if process.stderr else "(see its log)"
            raise RuntimeError(f"service exited with {process.returncode}: {output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")
