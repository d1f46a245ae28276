"""Run the real `mailflow` console script in a subprocess against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("mailflow")


class Console:
    """`console("lists", "show", "team@example.org")` runs `mailflow lists show team@example.org`."""

    def __init__(self, settings: dict) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
        self.env.update({f"MAILFLOW_{k}": str(v) for k, v in settings.items() if k != "TESTING"})
        self.env["PYTHONPATH"] = str(ROOT)  # this checkout's code, not an installed copy

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        from app.extensions import db

        db.session.commit()  # the subprocess must see what the test wrote, and SQLite must not be locked
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        db.session.expire_all()  # the test must see what the subprocess wrote
        return result
