"""Several SMTP connections per worker, sending shares of one batch at the same time, when the relay is slow.

A relay that takes half a second to answer each DATA held one connection to two copies a second, whatever
the worker could do. With SMTP_CONNECTIONS connections the waits overlap. A relay that answers within
SLOW_COPY_SECONDS gains nothing from threads (the worker's own CPU is the limit): there the worker's own
thread writes the batch in turn over two connections (interleaved), so the relay answers one while the next
copy is built and written to the other. Each copy goes out on one connection only, once,
and its result comes back with the batch as before: the caller marks it sent only after the relay's 250.

A relay may cap the connections it takes from one client (Postfix answers "421 4.7.0 Too many connections"
past smtpd_client_connection_count_limit, hosted relays per account). A connection the relay will not open
while others are open costs no copy: the worker goes on with the connections it has, dealing that share over
them, notes the number for this relay and tries one more again after WIDEN_AFTER_SECONDS (as Postfix's
concurrency feedback backs off and grows again). Nothing was sent on a connection that never opened.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import chain, islice

from app.config import Settings
from app.egress.base import Outgoing, SendResult
from app.egress.smtp import CONNECTION_ERRORS, SMTPSender, interleaved

log = logging.getLogger(__name__)
SLOW_COPY_SECONDS = 0.02  # a copy that takes longer than this on one connection: deal the batch out
INTERLEAVED = 2  # connections a relay that keeps up gets, written in turn by the worker's own thread
WIDEN_AFTER_SECONDS = 300.0  # a relay that refused a connection is offered one more after this long
# Per worker process and relay: what the last batch showed, so every job does not have to find out again.
_slow_relays: dict[tuple[str, int], bool] = {}
# Per worker process and relay: (connections it took when it refused one more, when that was).
_relay_limits: dict[tuple[str, int], tuple[int, float]] = {}


class PooledSMTPSender:
    """Up to SMTP_CONNECTIONS connections; a slow relay gets each batch dealt round-robin over them."""

    name = "smtp"

    def __init__(self, settings: Settings, connections: int | None = None) -> None:
        count = connections if connections is not None else settings.SMTP_CONNECTIONS
        # Connections open on first use: a fast relay or a batch of two copies opens one or two.
        self.senders = [SMTPSender(settings) for _ in range(max(count, 1))]
        self.relay = (settings.SMTP_HOST, settings.SMTP_PORT)
        self._pool: ThreadPoolExecutor | None = None

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        copies = iter(batch)
        first = list(islice(copies, 1))
        if len(self.senders) == 1:
            return self.senders[0].send(chain(first, copies)) if first else []
        if not first:
            return []
        slow = _slow_relays.get(self.relay)
        if slow:
            return self._dealt([*first, *copies])
        if slow is False:  # an earlier batch showed it keeps up: no copy waits on its own for the answer
            return self._timed(chain(first, copies))
        began = time.monotonic()
        sent = self.senders[0].send(first)  # on one connection until the relay shows it is slow
        if time.monotonic() - began < SLOW_COPY_SECONDS:
            return sent + self._timed(copies)
        _slow_relays[self.relay] = True
        return sent + self._dealt(list(copies))

    def _timed(self, copies: Iterator[Outgoing]) -> list[SendResult]:
        """The rest written in turn over two connections as it is built, noting whether the relay is slow."""
        head = list(islice(copies, INTERLEAVED))  # a batch of two opens no more connections than it needs
        if not head:
            return []
        began = time.monotonic()
        senders = self._opened(min(INTERLEAVED, self._limit(), len(head))) or self.senders[:1]
        results = interleaved(senders, chain(head, copies))
        _slow_relays[self.relay] = (time.monotonic() - began) / len(results) >= SLOW_COPY_SECONDS
        return results

    def _dealt(self, batch: Sequence[Outgoing]) -> list[SendResult]:
        """The batch dealt round-robin over the connections, sent at the same time; results in batch order."""
        senders = self._opened(min(self._limit(), len(batch)))
        if not senders:  # the relay took none: the first connection's own error marks every copy for later
            return self.senders[0].send(batch)
        count = len(senders)
        used = [(s, list(batch[i::count])) for i, s in enumerate(senders) if batch[i::count]]
        began = time.monotonic()
        futures = [self._threads().submit(sender.send, share) for sender, share in used]
        wait(futures)  # every share finished before anything is reported, an error included
        by_id = {r.delivery_id: r for future in futures for r in future.result()}
        longest = max(len(share) for _, share in used)
        _slow_relays[self.relay] = (time.monotonic() - began) / longest >= SLOW_COPY_SECONDS
        return [by_id[c.delivery_id] for c in batch]

    def _threads(self) -> ThreadPoolExecutor:
        """One thread per connection, made on first use (opening connections, sending shares at once)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=len(self.senders), thread_name_prefix="smtp")
        return self._pool

    def _limit(self) -> int:
        """How many connections this relay gets now: all of them, or what it took when it last refused one."""
        took, when = _relay_limits.get(self.relay, (len(self.senders), 0.0))
        if took < len(self.senders) and time.monotonic() - when >= WIDEN_AFTER_SECONDS:
            return took + 1
        return took

    def _opened(self, wanted: int) -> list[SMTPSender]:
        """The first `wanted` connections, opened at once where they are not open yet; those the relay refused
        are left out, and the relay's limit is noted (nothing was sent on them)."""
        chosen = sorted(self.senders, key=lambda s: not s.is_open)[:wanted]  # open ones first
        closed = [s for s in chosen if not s.is_open]
        errors = [e for e in self._threads().map(_open, closed) if e is not None]
        opened = [s for s in chosen if s.is_open]
        if errors and opened:
            _relay_limits[self.relay] = (len(opened), time.monotonic())
            log.warning(
                "relay %s:%s refused connection %d of %d (%s): sending over %d; one more tried in %d s",
                *self.relay,
                len(opened) + 1,
                wanted,
                _said(errors[0]),
                len(opened),
                WIDEN_AFTER_SECONDS,
            )
        elif not errors and self.relay in _relay_limits and wanted > _relay_limits[self.relay][0]:
            _relay_limits[self.relay] = (wanted, time.monotonic())  # it took one more: widen again later
        return opened

    def close(self) -> None:
        """Close every connection and stop the threads."""
        try:
            for sender in self.senders:
                sender.close()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


def _open(sender: SMTPSender) -> BaseException | None:
    """Open one connection; what the relay said when it would not (None once it is open)."""
    try:
        sender.open()
    except CONNECTION_ERRORS as exc:
        return exc
    return None


def _said(exc: BaseException) -> str:
    """A refusal as the relay worded it ("421 4.7.0 Too many connections"), or the error's own text."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
