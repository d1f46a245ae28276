"""One send-rate limit shared by every worker on every host, kept in Redis (fixed one-second windows)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from redis import Redis

KEY_PREFIX = "mailflow:ratelimit"

# INCR the window's counter; the first caller sets its expiry. Returns the count in this window.
_TAKE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n
"""


class SharedRateLimiter:
    """At most `rate` acquisitions per wall-clock second, counted in Redis across processes."""

    def __init__(
        self,
        redis: Redis | None,
        name: str,
        rate: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis, self.name, self.rate = redis, name, rate
        self.clock, self.sleep = clock, sleep
        self._script = redis.register_script(_TAKE) if redis is not None else None
        self._local: dict[int, int] = {}
        self._lock = threading.Lock()

    def acquire(self) -> int:
        """Wait until a slot in some one-second window is free; returns that window (epoch second)."""
        if self.rate <= 0:
            return int(self.clock())
        while True:
            now = self.clock()
            window = int(now)
            if self._take(window) <= self.rate:
                return window
            self.sleep(max(window + 1 - now, 0.001))

    def _take(self, window: int) -> int:
        if self._script is not None:
            return int(self._script(keys=[f"{KEY_PREFIX}:{self.name}:{window}"]))
        with self._lock:
            self._local = {w: n for w, n in self._local.items() if w >= window - 1}
            self._local[window] = self._local.get(window, 0) + 1
            return self._local[window]
