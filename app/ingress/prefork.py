"""Several receiver processes, each with its own SO_REUSEPORT listener (the kernel spreads connections
evenly; one shared socket let the first process take every session): the parent binds them all, forks,
restarts a crashed process on the same socket, and on SIGTERM/SIGINT makes sure each child drains its
sessions. A child that got the signal itself (a process-group kill, as systemd sends) says so through a
pipe, and the parent signals only the children that did not."""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import struct
import time
from collections.abc import Callable

from flask import Flask

from app.extensions import db
from app.ingress.stopsignal import StopSignal

log = logging.getLogger(__name__)
RESTART_PAUSE = 1.0  # seconds between restarts of a process that keeps dying
FORWARD_AFTER = (
    0.5  # seconds the children have to report a stop signal of their own before the parent sends one
)
TICK = 0.1
PID = struct.Struct("i")
# What a child runs: serve(app, socket, reconcile, on_signal) until told to stop.
ServeOne = Callable[[Flask, socket.socket, bool, Callable[[], None] | None], None]


def serve_forked(app: Flask, sockets: list[socket.socket], serve_one: ServeOne) -> None:
    """Fork one receiver per listening socket; return once all have stopped after SIGTERM or SIGINT."""
    stopper = StopSignal().install()
    told_read, told_write = os.pipe()
    children: dict[int, int] = {}  # pid -> slot; slot 0 also runs the reconciler
    stopping, told, forwarded = 0.0, set(), False
    for slot in range(len(sockets)):
        children[_spawn(app, sockets, slot, told_write, serve_one)] = slot
    while children:
        readable, _, _ = select.select([stopper.fileno(), told_read], [], [], TICK)
        if told_read in readable:
            told |= _read_pids(told_read)
        if stopper.wait(0) and not stopping:
            stopping = time.monotonic()
        if stopping and not forwarded and time.monotonic() - stopping >= FORWARD_AFTER:
            for pid in set(children) - told:
                _signal(pid, signal.SIGTERM)
            forwarded = True
        _reap(app, sockets, children, told_write, lambda: bool(stopping or stopper.wait(0)), serve_one)
    for fd in (told_read, told_write):
        os.close(fd)
    stopper.close()
    for sock in sockets:
        sock.close()


def _reap(
    app: Flask,
    sockets: list[socket.socket],
    children: dict[int, int],
    told: int,
    stopping: Callable[[], bool],
    serve_one: ServeOne,
) -> None:
    """Collect ended children; restart a crashed one unless the receiver is stopping."""
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        slot = children.pop(pid, None)
        if slot is None or stopping():
            continue
        log.error("receiver process %s (slot %s) ended with status %s; starting another", pid, slot, status)
        time.sleep(RESTART_PAUSE)
        if not stopping():
            children[_spawn(app, sockets, slot, told, serve_one)] = slot


def _read_pids(fd: int) -> set[int]:
    data = os.read(fd, PID.size * 64)
    return {pid for (pid,) in PID.iter_unpack(data[: len(data) - len(data) % PID.size])}


def _spawn(app: Flask, sockets: list[socket.socket], slot: int, told: int, serve_one: ServeOne) -> int:
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
        serve_one(app, sockets[slot], slot == 0, lambda: _tell_parent(told))
        code = 0
    except BaseException:
        log.exception("receiver process %s failed", os.getpid())
    finally:
        os._exit(code)


def _tell_parent(fd: int) -> None:
    """This child got a stop signal itself: the parent need not send another."""
    try:
        os.write(fd, PID.pack(os.getpid()))
    except OSError:
        pass


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
