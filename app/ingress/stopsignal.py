"""SIGTERM and SIGINT as a wake-up pipe: the handler only notes the signal and writes one byte.

A handler that takes a lock (threading.Event.set) deadlocks when a second signal arrives while the first
one's handler holds it, which is what a process-group kill plus a forwarded signal did to the receiver.
"""

from __future__ import annotations

import os
import select
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignal:
    """Install once in the main thread; wait() returns once a stop signal came."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self.received = 0

    def install(self) -> StopSignal:
        """Handle SIGTERM and SIGINT from now on."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum
        try:
            os.write(self._write, b"\0")
        except OSError:  # the pipe is full: a wake-up is already waiting
            pass

    def fileno(self) -> int:
        """The read end, for select()."""
        return self._read

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop signal came (or timeout); True once one has."""
        if not self.received:
            select.select([self._read], [], [], timeout)
        self._drain()
        return bool(self.received)

    def _drain(self) -> None:
        try:
            while os.read(self._read, 512):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        """Close the pipe (handlers stay installed and find it closed: harmless)."""
        for fd in (self._read, self._write):
            os.close(fd)
