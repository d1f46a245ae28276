"""Run the `mailflow` console script against the test database, as a process of its own.

By default each command runs in a child forked from tests/support/forkserver.py, which has imported the code
once: the same `app.cli.main` with the caller's environment and streams, without ~2 s of start-up per
command. MAILFLOW_TEST_CONSOLE=script runs the installed console script itself instead.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("mailflow")
TIMEOUT = 120


class Console:
    """`console("lists", "show", "team@example.org")` runs `mailflow lists show team@example.org`."""

    def __init__(self, settings: dict) -> None:
        self.env = _neutral_environment()
        self.env.update({f"MAILFLOW_{k}": str(v) for k, v in settings.items() if k != "TESTING"})

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        from app.extensions import db

        db.session.commit()  # the process must see what the test wrote, and SQLite must not be locked
        result = mailflow_process(list(args), self.env, stdin=stdin)
        db.session.expire_all()  # the test must see what the process wrote
        return result


def run_mailflow(
    env: dict[str, str],
    *args: str,
    cwd: str | os.PathLike | None = None,
    stdin: str | None = None,
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess:
    """`mailflow ARGS` with the test process's environment, minus its MAILFLOW_* settings, plus env."""
    return mailflow_process(
        list(args), {**_neutral_environment(), **env}, stdin=stdin, cwd=cwd, timeout=timeout
    )


def mailflow_process(
    args: list[str],
    env: dict[str, str],
    stdin: str | None = None,
    cwd: str | os.PathLike | None = None,
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess:
    """`mailflow ARGS` as a process of its own with exactly env: forked from the server, or the script itself."""
    if os.environ.get("MAILFLOW_TEST_CONSOLE") == "script":
        command = [str(CONSOLE_SCRIPT), *args]
        return subprocess.run(
            command, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=cwd
        )
    return _server().run(args, env, stdin, str(cwd) if cwd else os.getcwd(), timeout)


def _neutral_environment() -> dict[str, str]:
    """The test process's environment without MAILFLOW_* settings, seeing this checkout's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, not an installed copy
    return env


class ForkServer:
    """The client end of tests/support/forkserver.py."""

    def __init__(self) -> None:
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.forkserver", str(requests_read), str(replies_write)],
            cwd=ROOT,
            env=_neutral_environment(),
            pass_fds=(requests_read, replies_write),
        )
        os.close(requests_read)
        os.close(replies_write)
        self.buffer = b""

    def run(
        self, args: list[str], env: dict[str, str], stdin: str | None, cwd: str, timeout: float
    ) -> subprocess.CompletedProcess:
        """Run one command in a forked child; its output and status as subprocess.run would give them."""
        with tempfile.TemporaryDirectory(prefix="mailflow-console-") as folder:
            paths = {name: os.path.join(folder, name) for name in ("stdin", "stdout", "stderr")}
            Path(paths["stdin"]).write_text(stdin or "", encoding="utf-8")
            for name in ("stdout", "stderr"):
                Path(paths[name]).touch()
            request = {"args": args, "env": env, "cwd": cwd, **paths}
            os.write(self.requests, (json.dumps(request) + "\n").encode())
            pid = self._reply(TIMEOUT)["pid"]
            try:
                code = self._reply(timeout)["code"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._reply(TIMEOUT)
                raise
            out, err = (Path(paths[name]).read_text(encoding="utf-8") for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(["mailflow", *args], code, out, err)

    def _reply(self, timeout: float) -> dict:
        """The server's next line, or TimeoutExpired."""
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([self.replies], [], [], timeout)
            chunk = os.read(self.replies, 4096) if ready else b""
            if not ready:
                raise subprocess.TimeoutExpired("mailflow", timeout)
            if not chunk:
                raise RuntimeError("the console fork server has exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        """Stop the server."""
        os.close(self.requests)
        self.process.wait(timeout=10)
        os.close(self.replies)


_SERVER: list[ForkServer] = []


def _server() -> ForkServer:
    """This test process's fork server, started on first use."""
    if not _SERVER:
        _SERVER.append(ForkServer())
        atexit.register(_SERVER[0].close)
    return _SERVER[0]
