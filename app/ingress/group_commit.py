"""Group commit for the SMTP receiver: concurrent sessions' messages share one transaction and one fsync."""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from flask import Flask
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.ingress.accept import Envelope, accept, accept_batch

log = logging.getLogger(__name__)
MAX_BATCH = 64  # messages per transaction
MAX_BATCH_BYTES = 16 * 1024 * 1024  # and bytes: big attachments are inserted a few at a time, not all at once

Item = tuple[bytes, Envelope, Future]


class GroupCommitter:
    """One thread that stores what the sessions hand it, batching whatever queued up during the last commit.

    A session's future resolves to its post ids only after the commit, or raises what storing raised (the
    session then answers 4xx). A batch that fails is retried one message at a time, so one bad message
    never costs another its 250; when the database itself is unreachable or locked, every session of the
    batch gets its 451 at once instead of waiting for one attempt per message.
    """

    def __init__(
        self, app: Flask, max_batch: int = MAX_BATCH, start: bool = True, max_bytes: int = MAX_BATCH_BYTES
    ) -> None:
        self.app = app
        self.max_batch, self.max_bytes = max_batch, max_bytes
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._carry: Item | None = None  # taken from the queue but too big for the last batch
        self._thread = threading.Thread(target=self._run, name="smtpd-commit", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        """Start storing (tests queue several messages first to see them share a transaction)."""
        self._thread.start()

    def submit(self, raw: bytes, envelope: Envelope) -> Future:
        """Queue one message; the future gives its post ids once they are committed."""
        future: Future = Future()
        self._queue.put((raw, envelope, future))
        return future

    def close(self, timeout: float = 60.0) -> None:
        """Store what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stopping = self._next_batch()
            if batch:
                try:
                    with self.app.app_context():
                        self._store(batch)
                except Exception as exc:  # never let this thread die: every later session would wait forever
                    log.exception("storing a batch of %d messages failed", len(batch))
                    for _, _, future in batch:
                        _settle(future, error=exc)
            if stopping:
                return

    def _next_batch(self) -> tuple[list[Item], bool]:
        """Block for the first item, then take whatever else is waiting, up to max_batch and max_bytes."""
        first, self._carry = self._carry or self._queue.get(), None
        if first is None:
            return [], True
        batch, size = [first], len(first[0])
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return _started(batch), True
            if size + len(item[0]) > self.max_bytes:
                self._carry = item  # first of the next batch
                break
            batch.append(item)
            size += len(item[0])
        return _started(batch), False

    def _store(self, batch: list[Item]) -> None:
        try:
            results = accept_batch([(raw, envelope) for raw, envelope, _ in batch])
        except Exception as exc:
            db.session.rollback()
            if len(batch) == 1 or isinstance(
                exc, OperationalError
            ):  # the database is away: 451 to all at once
                for _, _, future in batch:
                    _settle(future, error=exc)
                return
            log.warning("group commit of %d messages failed; storing them one by one", len(batch))
            for item in batch:
                self._store_one(item)
            return
        for (_, _, future), ids in zip(batch, results):
            _settle(future, result=ids)

    def _store_one(self, item: Item) -> None:
        raw, envelope, future = item
        try:
            ids = accept(raw, envelope)
        except Exception as exc:
            db.session.rollback()
            _settle(future, error=exc)
            return
        _settle(future, result=ids)


def _started(batch: list[Item]) -> list[Item]:
    """Mark the sessions' futures running, so a session that hangs up from now on cannot cancel them.

    A message whose session already hung up is stored all the same: the client never saw a 250 and sends it
    again, and the same bytes find the same post.
    """
    for _, _, future in batch:
        future.set_running_or_notify_cancel()
    return batch


def _settle(future: Future, result: list[int] | None = None, error: BaseException | None = None) -> None:
    """Give a session its answer, unless it hung up before its message was taken (cancelled)."""
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
