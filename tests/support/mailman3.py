"""A real Mailman 3 core in a temp dir, REST API on a free loopback port, for the migration tests.

Mailman runs from its own virtual environment (MAILFLOW_TEST_MAILMAN3, default .venv-mailman3 in the
checkout; scripts/test creates it). Its MTA is the null MTA: nothing is ever sent.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("MAILFLOW_TEST_MAILMAN3", ROOT / ".venv-mailman3"))
USER, PASSWORD = "restadmin", "restpass"
CONFIG = """\
[paths.here]
var_dir: {d}/var
[mailman]
layout: here
site_owner: admin@example.org
[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///{d}/var/data/mailman.db
[webservice]
hostname: 127.0.0.1
port: {port}
admin_user: {user}
admin_pass: {password}
[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: {lmtp}
smtp_host: 127.0.0.1
smtp_port: {smtp}
"""
# The tests need the REST API and the in → pipeline path (an injected post held); Mailman's other runners,
# a process each, only cost the CI host start-up time.
IDLE_RUNNERS = ("archive", "bounces", "command", "digest", "lmtp", "out", "retry", "task", "virgin")
CONFIG += "".join(f"[runner.{name}]\nstart: no\n" for name in IDLE_RUNNERS)


class Mailman3:
    """Start and stop a Mailman 3 core; call its REST API as the admin."""

    def __init__(self) -> None:
        self.binary = VENV / "bin" / "mailman"
        if not self.binary.exists():
            raise RuntimeError(f"Mailman 3 is not installed in {VENV} (scripts/test installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="mailflow-mailman3-", dir="/tmp"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/3.1/"
        (self.dir / "mailman.cfg").write_text(
            CONFIG.format(
                d=self.dir, port=self.port, user=USER, password=PASSWORD, lmtp=free_port(), smtp=free_port()
            )
        )

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """`mailman -C our.cfg ARGS` (output to a file: `start` detaches and would hold a pipe open)."""
        with open(self.dir / "command.log", "ab") as log:
            return subprocess.run(
                [str(self.binary), "--run-as-root", "-C", str(self.dir / "mailman.cfg"), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                timeout=120,
                check=False,
            )

    def start(self) -> None:
        self.command("start", "--force")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.get("system/versions")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        raise RuntimeError(f"Mailman 3 did not start: {(self.dir / 'command.log').read_text()[-2000:]}")

    def stop(self) -> None:
        self.command("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method: str, path: str, data: dict | None = None) -> dict:
        """One REST call as the admin; the decoded JSON answer ({} for an empty one)."""
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        )
        if body is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            content = answer.read()
        return json.loads(content) if content else {}

    def get(self, path: str) -> dict:
        return self.call("GET", path)

    def post(self, path: str, data: dict) -> dict:
        return self.call("POST", path, data)

    def patch(self, path: str, data: dict) -> dict:
        return self.call("PATCH", path, data)


class FailingProxy:
    """A loopback HTTP proxy in front of Mailman's REST API that answers 500 for paths containing `fail_on`."""

    def __init__(self, target: str, fail_on: str) -> None:
        import http.server
        import threading

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                if proxy.fail_on in self.path:
                    self.send_error(500, "Internal Server Error")
                    return
                request = urllib.request.Request(target.rstrip("/") + self.path.replace("/3.1", "", 1))
                request.add_header("Authorization", self.headers.get("Authorization", ""))
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, body = answer.status, answer.read()
                except urllib.error.HTTPError as exc:
                    status, body = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.fail_on = fail_on
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/3.1/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
