"""The parts a benchmark runs against, all on 127.0.0.1 and all stopped at the end: a private Redis,
a database of its own, `mailflow` processes (smtpd, worker, web) and their settings."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Self

from redis import Redis

PG_ADMIN = os.environ.get("MAILFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-not-for-production"
ROOT = Path(__file__).resolve().parents[1]  # children run the same code as the benchmark
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll check until it is true; raise TimeoutError naming what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} within {timeout:.0f} s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a live process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def stop_all(procs: list[subprocess.Popen], timeout: float = 15) -> None:
    """SIGTERM every process at once, then wait for each (SIGKILL when it does not exit in time)."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        stop_process(proc, timeout)


def mailflow_command() -> list[str]:
    """The `mailflow` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "mailflow"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


class PrivateRedis:
    """A redis-server of our own on a free port: nothing shared is ever flushed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self._ping(), START_TIMEOUT, "private redis-server did not start")

    def _ping(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:  # noqa: BLE001 (any failure means: not up yet)
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


class Database:
    """A throw-away database: a SQLite file in the run folder, or a PostgreSQL database of its own."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'bench.db'}"
        elif kind == "postgresql":
            base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            self.url = f"{base}/{self.name}"
        else:
            raise ValueError(f"unknown database kind {kind!r} (sqlite or postgresql)")

    def create(self) -> None:
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Stack:
    """One benchmark's world: folder, database, Redis, settings, and the processes it started."""

    def __init__(self, db_kind: str, **settings: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
        self.folder.chmod(0o755)
        self.db = Database(db_kind, self.folder)
        self.redis = PrivateRedis()
        self.settings = {
            "DATABASE_URL": self.db.url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(self.folder / "instance"),
            "PUBLIC_URL": "https://lists.example.org",
            "EGRESS": "stdout",
            **settings,
        }
        self.procs: list[subprocess.Popen] = []
        self._app = None
        self._app_settings: dict = {}

    def __enter__(self) -> Self:
        self.redis.start()
        self.db.create()
        self.migrate()
        return self

    def migrate(self) -> None:
        """What `mailflow db upgrade` does, in this process (one interpreter start fewer per part)."""
        from flask_migrate import upgrade

        with self.app().app_context():
            upgrade()

    def __exit__(self, *exc: object) -> None:
        stop_all(self.procs)
        self._dispose_app()
        self.redis.stop()
        self.db.drop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a `mailflow` process: our MAILFLOW_* and nothing from a .env file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env.update({f"MAILFLOW_{k}": str(v) for k, v in {**self.settings, **extra}.items()})
        return env

    def run_cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run `mailflow ARGS` to completion; raises with its output when it fails."""
        done = subprocess.run(
            mailflow_command() + list(args),
            env=self.env(),
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"mailflow {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
            )
        return done

    def spawn(self, *args: str, name: str = "", **extra: str) -> subprocess.Popen:
        """Start `mailflow ARGS` in the background, its output in a log file of the run folder."""
        with open(self.folder / f"{name or args[0]}-{len(self.procs)}.log", "wb") as log:
            proc = subprocess.Popen(
                mailflow_command() + list(args),
                env=self.env(**extra),
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def stop_all(self, procs: list[subprocess.Popen]) -> None:
        """Stop these processes (started by spawn) together."""
        stop_all(procs)
        self.procs = [p for p in self.procs if p not in procs]

    def app(self):
        """The Flask app over the current settings, for seeding and counting in this process."""
        if self._app is None or self._app_settings != self.settings:
            from app import create_app

            self._dispose_app()
            self._app_settings = dict(self.settings)
            self._app = create_app(dict(self.settings))
        return self._app

    def _dispose_app(self) -> None:
        if self._app is not None:
            from app.extensions import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()
            self._app = None

    def start_workers(self, count: int) -> list[subprocess.Popen]:
        """`mailflow worker` processes, returned once each has registered with Redis."""
        return self.await_workers([self.spawn("worker", name=f"worker{i}") for i in range(count)])

    def await_workers(self, workers: list[subprocess.Popen]) -> list[subprocess.Popen]:
        """Wait until every spawned worker has registered with Redis."""
        count = len(workers)
        conn = Redis.from_url(self.redis.url)
        wait_for(
            lambda: conn.scard("rq:workers") >= count or any(w.poll() is not None for w in workers),
            START_TIMEOUT,
            f"{count} workers did not register",
        )
        dead = [w for w in workers if w.poll() is not None]
        if dead:
            raise RuntimeError(f"a worker exited at start; see the logs in {self.folder}")
        return workers

    def start_smtpd(self, workers: int = 0, processes: int = 1) -> int:
        """`mailflow smtpd` on a free port (and workers started alongside); returns the port once it answers."""
        port = free_port()
        self.settings["SMTPD_PORT"] = str(port)
        proc = self.spawn("smtpd", SMTPD_PROCESSES=str(processes))
        if workers:
            self.await_workers([self.spawn("worker", name=f"worker{i}") for i in range(workers)])
        wait_for(
            lambda: port_open(port) or proc.poll() is not None, START_TIMEOUT, "mailflow smtpd did not listen"
        )
        if proc.poll() is not None:
            raise RuntimeError(f"mailflow smtpd exited at start; see the logs in {self.folder}")
        return port
