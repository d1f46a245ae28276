"""Import preparation in a child process: parsing, summarising and hashing run beside the parent's inserts.

Two cores: the parent reads the mbox and inserts batches while one worker process parses the next window
(a thread would fight the inserting one for the GIL: 55 s against 36 s done one after the other, 100,000
messages). Only values cross the pipe; the parent keeps every raw message it sent.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from app.archive.mbox import Entry, separator_date
from app.archive.store import derived
from app.archive.summary import summarise
from app.mail.rawmessage import RawMessage
from app.models.timestamps import utcnow

MAX_IMPORTED = 64 * 1024 * 1024  # a bigger "message" is a broken separator, not mail
WINDOW_ROWS = 2000  # messages prepared, then inserted with one executemany in one transaction
# ... or fewer when they are big: memory holds up to IN_FLIGHT + 1 windows here, one or two in the worker and
# up to two more queued for PostgreSQL's inserters (batches.Inserters), so about 100 MB at worst.
WINDOW_BYTES = 16 * 1024 * 1024
IN_FLIGHT = 2  # windows handed to the worker ahead of the one being inserted

Prepared = tuple[Entry, str, dict[str, object] | None]  # the entry, why it is bad (or ""), its column values


def readable(raw: bytes) -> tuple[RawMessage | None, str]:
    """The message's header fields and body, or None and why raw cannot be archived."""
    if not raw.strip():
        return None, "empty message"
    if len(raw) > MAX_IMPORTED:
        return None, f"larger than {MAX_IMPORTED // (1024 * 1024)} MB"
    head = RawMessage.parse(raw)
    return (head, "") if head.fields else (None, "no header fields")


def values_of(entry: Entry) -> tuple[str, dict[str, object] | None]:
    """Why the entry cannot be archived, or its derived column values (the key and thread links excepted)."""
    head, reason = readable(entry.raw)
    if head is None:
        return reason, None
    try:
        summary = summarise(entry.raw, head)
    except Exception as exc:  # summarise accepts any bytes; a bug must not lose the rest of the import
        return f"{type(exc).__name__}: {str(exc)[:200]}", None
    date: datetime = summary.date or separator_date(entry.separator) or utcnow()
    return "", derived(entry.raw, summary, date)


def prepare_window(entries: list[Entry]) -> list[tuple[str, dict[str, object] | None]]:
    """values_of for every entry of a window (what the worker process runs)."""
    return [values_of(entry) for entry in entries]


def windows(entries: Iterable[Entry]) -> Iterator[list[Entry]]:
    """The entries in windows of at most WINDOW_ROWS messages or about WINDOW_BYTES."""
    window: list[Entry] = []
    size = 0
    for entry in entries:
        window.append(entry)
        size += len(entry.raw)
        if len(window) >= WINDOW_ROWS or size >= WINDOW_BYTES:
            yield window
            window, size = [], 0
    if window:
        yield window


def prepared(entries: Iterable[Entry], run: Callable[[list[Entry]], Future]) -> Iterator[list[Prepared]]:
    """Each window's entries with their values, in order, while run works on the next IN_FLIGHT windows."""
    pending: deque[tuple[list[Entry], Future]] = deque()
    for window in windows(entries):
        pending.append((window, run(window)))
        if len(pending) > IN_FLIGHT:
            yield _joined(*pending.popleft())
    while pending:
        yield _joined(*pending.popleft())


def _joined(window: list[Entry], future: Future) -> list[Prepared]:
    return [(entry, reason, values) for entry, (reason, values) in zip(window, future.result(), strict=True)]


def prepared_in_worker(entries: Iterable[Entry]) -> Iterator[list[Prepared]]:
    """prepared() with one forked worker process doing the parsing; it stops with the iteration."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from prepared(entries, lambda window: pool.submit(prepare_window, window))
