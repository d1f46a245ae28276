"""Several receiver processes, each with its own SO_REUSEPORT listener (the kernel spreads connections
evenly; one shared socket let the first process take every session): the parent binds them all, forks,
restarts a crashed process on the same socket, and passes SIGTERM/SIGINT on so each drains its sessions."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable

from flask import Flask

from app.extensions import db

log = logging.getLogger(__name__)
RESTART_PAUSE = 1.0  # seconds between restarts of a process that keeps dying
# What a child runs: serve one listening socket until told to stop; the bool says "also run the reconciler".
ServeOne = Callable[[Flask, socket.socket, bool], None]


def serve_forked(app: Flask, sockets: list[socket.socket], serve_one: ServeOne) -> None:
    """Fork one receiver per listening socket; return once all have stopped after SIGTERM or SIGINT."""
    stopping = False
    children: dict[int, int] = {}  # pid -> slot; slot 0 also runs the reconciler

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    for slot in range(len(sockets)):
        children[_spawn(app, sockets, slot, serve_one)] = slot
    while children:
        pid, status = os.wait()
        ended = children.pop(pid, None)
        if ended is None or stopping:
            continue
        log.error("receiver process %s (slot %s) ended with status %s; starting another", pid, ended, status)
        time.sleep(RESTART_PAUSE)
        if not stopping:
            children[_spawn(app, sockets, ended, serve_one)] = ended
    for sock in sockets:
        sock.close()


def _spawn(app: Flask, sockets: list[socket.socket], slot: int, serve_one: ServeOne) -> int:
    """Fork the receiver for sockets[slot]; in the child this never returns."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        _forget_inherited_connections(app)
        for other in sockets[:slot] + sockets[slot + 1 :]:
            other.close()
        serve_one(app, sockets[slot], slot == 0)
        code = 0
    except BaseException:
        log.exception("receiver process %s failed", os.getpid())
    finally:
        os._exit(code)


def _forget_inherited_connections(app: Flask) -> None:
    """Pooled database and Redis connections belong to the parent: the child opens its own."""
    with app.app_context():
        db.engine.dispose(close=False)
    app.extensions.pop("mailflow_redis", None)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
