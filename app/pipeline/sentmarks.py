"""PostgreSQL: a chunk's sent marks are written on a thread of their own while the next chunk is sent.

The job's thread used to wait for each chunk's statement (a round trip and a durable commit, 1-5 ms) before
it sent the next chunk; the relay and the database then never worked at the same time. Here one statement
at a time runs on the job's autocommit connection in a helper thread, and the job's thread collects its
answer before it hands over the next one. So at most two chunks are unrecorded at any moment (the one being
written and the one being sent): chunks are half as long on PostgreSQL, and a crash still sends at most
COMMIT_EVERY copies twice (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Executable, Row

from app.models import Delivery


@dataclass(frozen=True)
class Written:
    """What a collected statement recorded: these copies sent with these provider ids; its fence's answer."""

    copies: dict[int, Delivery]
    provider_ids: dict[int, str]
    sent_at: datetime
    fenced_chunk: int | None  # the index of the chunk its held_query asked about (None: it asked nothing)
    rows: Sequence[Row]


class SentMarks:
    """One statement in flight at a time on `conn`, run by one helper thread."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sent-marks")
        self._future: Future[Sequence[Row]] | None = None
        self._what: Written | None = None

    def write(self, statement: Executable, what: Written) -> None:
        """Start the statement; the previous one must have been collected."""
        if self._future is not None:
            raise RuntimeError("the previous chunk's sent marks were not collected")
        self._future = self._thread.submit(self._run, statement, what.fenced_chunk is not None)
        self._what = what

    def _run(self, statement: Executable, returns_rows: bool) -> Sequence[Row]:
        result = self.conn.execute(statement)
        return result.all() if returns_rows else []

    def collect(self) -> Written | None:
        """Wait for the statement in flight (raising its error); None when there was none."""
        if self._future is None or self._what is None:
            return None
        future, what = self._future, self._what
        self._future, self._what = None, None
        return Written(what.copies, what.provider_ids, what.sent_at, what.fenced_chunk, future.result())

    def close(self) -> None:
        """Let a statement in flight finish (the connection is closed after this), then stop the thread."""
        self._thread.shutdown(wait=True)
