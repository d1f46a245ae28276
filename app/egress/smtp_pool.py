"""Several SMTP connections per worker, sending shares of one batch at the same time.

A relay that takes half a second to answer each DATA held one connection to two copies a second, whatever
the worker could do. With SMTP_CONNECTIONS connections the waits overlap. Each copy still goes out on one
connection only, once, and its result comes back with the batch as before: the caller marks it sent only
after the relay's 250.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait

from app.config import Settings
from app.egress.base import Outgoing, SendResult
from app.egress.smtp import SMTPSender


class PooledSMTPSender:
    """Deals a batch round-robin over up to SMTP_CONNECTIONS connections, each sending its share in a thread."""

    name = "smtp"

    def __init__(self, settings: Settings, connections: int | None = None) -> None:
        count = connections if connections is not None else settings.SMTP_CONNECTIONS
        # Connections open on first use: a batch of two copies opens two, not SMTP_CONNECTIONS.
        self.senders = [SMTPSender(settings) for _ in range(max(count, 1))]
        self._pool: ThreadPoolExecutor | None = None

    def send(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        shares = [list(batch[i :: len(self.senders)]) for i in range(len(self.senders))]
        used = [(sender, share) for sender, share in zip(self.senders, shares, strict=True) if share]
        if len(used) <= 1:
            return self.senders[0].send(batch) if batch else []
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=len(self.senders), thread_name_prefix="smtp")
        futures = [self._pool.submit(sender.send, share) for sender, share in used]
        wait(futures)  # every share finished before anything is reported, an error included
        by_id = {r.delivery_id: r for future in futures for r in future.result()}
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
