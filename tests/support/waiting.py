"""Bounded waits on an outcome (never on how long something took)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, tick: float = 0.05) -> bool:
    """True as soon as condition() holds; False when it still does not after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(tick)
