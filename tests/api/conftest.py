"""The API through real HTTP: `mailflow web` (gunicorn) on a loopback port, over the test database."""

from __future__ import annotations

import http.cookiejar
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.console import mailflow_process
from tests.support.smtp import free_port
from tests.test_entry_points import env_for

ROOT = Path(__file__).parents[2]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: object


class ApiServer:
    """Calls to the running server; tokens made through the real console script."""

    def __init__(self, base: str, env: dict[str, str]) -> None:
        self.base, self.env = base, env

    def call(
        self, method: str, path: str, token: str | None = None, body: object = None, **headers: str
    ) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return _answer(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as exc:
            return _answer(exc.code, exc.headers, exc.read())

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`mailflow ARGS` on the server's database (a process of its own: tests/support/console.py)."""
        return mailflow_process(list(args), self.env, cwd=ROOT)

    def token_for(self, email: str, name: str = "tests") -> str:
        done = self.cli("users", "token", email, "--name", name)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def session_opener(self) -> urllib.request.OpenerDirector:
        """A client that keeps cookies (a browser session)."""
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _answer(status: int, headers, content: bytes) -> Answer:
    kind = headers.get("Content-Type", "")
    body = json.loads(content) if content and "json" in kind else content.decode(errors="replace")
    return Answer(status, dict(headers.items()), body)


@pytest.fixture(scope="module")
def api_server(migrated, tmp_path_factory):
    """`mailflow web` with one worker, for every test of a module (each test's `app` empties the tables)."""
    port = free_port()
    settings = {
        "DATABASE_URL": migrated,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("api-instance")),
        "SECRET_KEY": "test-secret-key-for-the-api-server-000",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WEB_PORT": str(port),
    }
    env = env_for(settings)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web", "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"mailflow web did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield ApiServer(base + "/api/v1", env)
    proc.terminate()
    proc.wait(timeout=20)
    proc.stderr.close()
