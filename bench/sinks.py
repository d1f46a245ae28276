"""Where copies land: Postfix's smtp-sink (counted per recipient from its dump), aiosmtpd's bare Sink
(the ingress reference), and an in-process sink that notes when each copy arrived (latency)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.services import START_TIMEOUT, free_port, port_open, stop_process, wait_for

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
RCPT_LINE = b"X-Rcpt-Args: <"


def postfix_tools_missing() -> str:
    """Why Postfix's smtp-sink/smtp-source cannot run here, or '' when they can."""
    missing = [p for p in (SMTP_SINK, SMTP_SOURCE) if not os.access(p, os.X_OK)]
    return f"not installed: {', '.join(missing)} (Debian package postfix)" if missing else ""


class PostfixSink:
    """smtp-sink appending every transaction to one dump file; recipients are counted from the dump."""

    def __init__(self, folder: Path, backlog: int = 256, dump: bool = True) -> None:
        self.port = free_port()
        self.dump = dump
        self.dumps = folder / f"sink-{self.port}"
        self.file = self.dumps / "dump"
        self.backlog = backlog
        self.proc: subprocess.Popen | None = None
        self._offsets: dict[Path, int] = {}
        self._partials: dict[Path, bytes] = {}
        self.counts: Counter[str] = Counter()

    def start(self) -> None:
        # smtp-sink writes as nobody: it captures each transaction in a temporary file next to the dump
        # and appends it to the dump when the transaction ends, so only the dump itself is read.
        self.dumps.mkdir()
        self.dumps.chmod(0o777)
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        dump = ["-D", str(self.file)] if self.dump else []
        self.proc = subprocess.Popen(
            [SMTP_SINK, *user, *dump, f"127.0.0.1:{self.port}", str(self.backlog)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), START_TIMEOUT, "smtp-sink did not listen")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def poll(self) -> int:
        """Read what the dumps gained since the last call; returns the copies counted so far."""
        if self.file.exists():
            self._read(self.file)
        return sum(self.counts.values())

    def _read(self, path: Path) -> None:
        with open(path, "rb") as fh:
            fh.seek(self._offsets.get(path, 0))
            chunk = fh.read()
        self._offsets[path] = self._offsets.get(path, 0) + len(chunk)
        lines = (self._partials.get(path, b"") + chunk).split(b"\n")
        self._partials[path] = lines.pop()
        for line in lines:
            if line.startswith(RCPT_LINE):
                self.counts[line[len(RCPT_LINE) :].rstrip(b"\r>").decode("utf-8", "replace")] += 1

    def reset(self) -> None:
        """Forget what was counted; the dumps are emptied too (smtp-sink appends, so it carries on)."""
        if self.file.exists():
            self.file.write_bytes(b"")
        self._offsets.clear()
        self._partials.clear()
        self.counts.clear()

    def verdict(self, expected: set[str]) -> tuple[int, int]:
        """(lost, duplicated) against the expected recipients, counted per recipient."""
        self.poll()
        lost = sum(1 for r in expected if self.counts.get(r, 0) == 0)
        duplicated = sum(n - 1 for r, n in self.counts.items() if n > 1)
        strangers = sum(n for r, n in self.counts.items() if r not in expected)
        return lost, duplicated + strangers


def start_aiosmtpd_sink(port: int) -> subprocess.Popen:
    """aiosmtpd's own command line with its bare Sink handler: the ceiling for an aiosmtpd receiver."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: port_open(port), START_TIMEOUT, "aiosmtpd Sink did not listen")
    return proc


@dataclass
class ArrivalHandler:
    """Notes the monotonic time each copy arrives, by its Message-ID and recipient."""

    first: dict[str, float] = field(default_factory=dict)
    copies: Counter[str] = field(default_factory=Counter)
    per_rcpt: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        key = _message_id(envelope.original_content or b"")
        with self.lock:
            self.first.setdefault(key, now)
            self.copies[key] += len(envelope.rcpt_tos)
            for rcpt in envelope.rcpt_tos:
                self.per_rcpt[(key, rcpt)] += 1
        return "250 2.0.0 accepted"


def _message_id(data: bytes) -> str:
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line[:11].lower() == b"message-id:":
            return line[11:].strip().decode("ascii", "replace")
    return ""


def start_arrival_sink() -> tuple[Controller, ArrivalHandler]:
    """An in-process aiosmtpd sink sharing this process's clock."""
    handler = ArrivalHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    return controller, handler
