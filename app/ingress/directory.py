"""The receiver's view of which list addresses exist: lookup.resolve, remembered briefly."""

from __future__ import annotations

import threading
import time

from app.lists.lookup import resolve
from app.mail.list_addresses import ListAddress, candidates

TTL_SECONDS = 5.0  # a list created or deleted in the panel is seen by RCPT within this long
MAX_ENTRIES = 10_000  # bounded, whatever addresses clients try


class ListDirectory:
    """RCPT-time lookups without a database round trip per recipient.

    Only lists that exist are remembered; an unknown address is asked of the database every time, so a
    new list is found at once and a flood of bogus recipients cannot fill the memory.
    """

    def __init__(self, ttl: float = TTL_SECONDS, clock=time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._known: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def cached(self, address: str) -> tuple[int, ListAddress] | None:
        """(list id, reading) when a recent lookup found this address's list; None means ask find()."""
        now = self.clock()
        for reading in candidates(address):
            entry = self._known.get((reading.local_part, reading.domain))
            if entry is not None and entry[0] > now:
                return entry[1], reading
        return None

    def find(self, address: str) -> tuple[int, ListAddress] | None:
        """(list id, reading) from the database (in an app context), remembered for TTL seconds."""
        found = resolve(address)
        if found is None:
            return None
        mlist, reading = found
        self._remember(reading, mlist.id)
        return mlist.id, reading

    def _remember(self, reading: ListAddress, list_id: int) -> None:
        with self._lock:
            if len(self._known) >= MAX_ENTRIES:
                self._known.clear()
            self._known[(reading.local_part, reading.domain)] = (self.clock() + self.ttl, list_id)
