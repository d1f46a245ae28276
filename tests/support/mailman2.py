"""Mailman 2.1-shaped pickles for tests and benchmarks: Python 2 byte strings as STRING opcodes."""

from __future__ import annotations

import io
import pickle
import struct
from typing import Any


class Python2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Protocol 2 with bytes written as Python 2 `str` (SHORT_BINSTRING/BINSTRING), as Mailman 2 wrote them."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def save_python2_str(self, obj: bytes) -> None:
        size = len(obj)
        if size < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([size]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", size) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str


def python2_pickle(data: Any) -> bytes:
    """The data pickled the way Mailman 2.1's Python 2 did."""
    out = io.BytesIO()
    Python2Pickler(out, protocol=2).dump(data)
    return out.getvalue()


def mailman2_config(members: dict[bytes, Any], **settings: Any) -> dict[bytes, Any]:
    """A minimal Mailman 2.1 list configuration (byte-string keys) with the given members and settings."""
    config: dict[bytes, Any] = {
        b"real_name": b"Team",
        b"host_name": b"lists.example.org",
        b"preferred_language": b"en",
        b"subscribe_policy": 1,
        b"generic_nonmember_action": 1,
        b"members": members,
        b"digest_members": {},
        b"owner": [b"owner@example.org"],
        b"moderator": [],
    }
    config.update({k.encode(): v for k, v in settings.items()})
    return config
