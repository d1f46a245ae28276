"""Holder tokens that name a process (host:pid:random), and whether such a holder is provably dead.

Leases and locks carry these tokens, so a restarted process on the same host can take over from a dead one
at once instead of waiting for an expiry; a holder on another host is only ever waited for.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

HOST_CHARS = 30  # tokens fit a 64-character column


def holder_token(random_chars: int = 12) -> str:
    """A token naming this process: host, pid and a random part (one process may hold several things)."""
    return f"{socket.gethostname()[:HOST_CHARS]}:{os.getpid()}:{uuid.uuid4().hex[:random_chars]}"


def provably_dead(holder: str) -> bool:
    """True when the holder was a process on this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:HOST_CHARS] or not pid_text.isdigit():
        return False  # another host (or a token that names no process): only the expiry can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A process that exited but was not reaped yet (its parent was killed too) is dead all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc here: it answered the signal, so it lives
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
