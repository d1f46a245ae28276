"""Several SMTP connections per worker, sending shares of one batch at the same time, when the relay is slow.

A relay that takes half a second to answer each DATA held one connection to two copies a second, whatever
the worker could do. With SMTP_CONNECTIONS connections the waits overlap. A relay that answers within
SLOW_COPY_SECONDS gains nothing from that (the worker's own CPU is the limit) and the threads cost it: there
the batch goes over one connection in the worker's thread. Each copy goes out on one connection only, once,
and its result comes back with the batch as before: the caller marks it sent only after the relay's 250.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait

from app.config import Settings
from app.egress.base import Outgoing, SendResult
from app.egress.smtp import SMTPSender

SLOW_COPY_SECONDS = 0.02  # a copy that takes longer than this on one connection: deal the batch out
# Per worker process and relay: what the last batch showed, so every job does not have to find out again.
_slow_relays: dict[tuple[str, int], bool] = {}


class PooledSMTPSender:
    """Up to SMTP_CONNECTIONS connections; a slow relay gets each batch dealt round-robin over them."""

    name = "smtp"

    def __init__(self, settings: Settings, connections: int | None = None) -> None:
        count = connections if connections is not None else settings.SMTP_CONNECTIONS
        # Connections open on first use: a fast relay or a batch of two copies opens one or two.
        self.senders = [SMTPSender(settings) for _ in range(max(count, 1))]
        self.relay = (settings.SMTP_HOST, settings.SMTP_PORT)
        self._pool: ThreadPoolExecutor | None = None

    def send(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        if len(self.senders) == 1 or len(batch) <= 1:
            return self.senders[0].send(batch) if batch else []
        if _slow_relays.get(self.relay):
            return self._dealt(batch)
        began = time.monotonic()
        first = self.senders[0].send(batch[:1])  # on one connection until the relay shows it is slow
        if time.monotonic() - began < SLOW_COPY_SECONDS:
            return first + self._timed(batch[1:])
        _slow_relays[self.relay] = True
        return first + self._dealt(batch[1:])

    def _timed(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        """The batch on one connection, noting whether the relay is slow for the next batch."""
        began = time.monotonic()
        results = self.senders[0].send(batch)
        _slow_relays[self.relay] = (time.monotonic() - began) / max(len(batch), 1) >= SLOW_COPY_SECONDS
        return results

    def _dealt(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        """The batch dealt round-robin over the connections, sent at the same time; results in batch order."""
        count = len(self.senders)
        used = [(s, list(batch[i::count])) for i, s in enumerate(self.senders) if batch[i::count]]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="smtp")
        began = time.monotonic()
        futures = [self._pool.submit(sender.send, share) for sender, share in used]
        wait(futures)  # every share finished before anything is reported, an error included
        by_id = {r.delivery_id: r for future in futures for r in future.result()}
        longest = max(len(share) for _, share in used)
        _slow_relays[self.relay] = (time.monotonic() - began) / longest >= SLOW_COPY_SECONDS
        return [by_id[c.delivery_id] for c in batch]

    def close(self) -> None:
        """Close every connection and stop the threads."""
        try:
            for sender in self.senders:
                sender.close()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
