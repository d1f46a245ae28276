"""The receiver as a real process: SIGTERM under load loses nothing that got a 250; one receiver per address."""

from __future__ import annotations

import os
import signal
import smtplib
import threading
import time
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Post
from tests.support.factories import make_list, message
from tests.support.processes import service_env, start, wait_for_port
from tests.support.stack import receiver

CLIENTS = 8
SIGNAL_AFTER = 40  # accepted messages before SIGTERM is sent
PER_CLIENT_CAP = 200  # bound on each client's work whatever happens


class LoadClient(threading.Thread):
    """Sends messages over one session until the receiver says goodbye; records what got a 250."""

    def __init__(self, port: int, accepted: list[str], lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.port, self.accepted, self.lock = port, accepted, lock
        self.ended_with = ""

    def run(self) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
                for _ in range(PER_CLIENT_CAP):
                    message_id = make_msgid(domain="load.example")
                    client.sendmail(
                        "alice@example.org",
                        ["team@example.org"],
                        message(message_id=message_id, body="load\n" * 200),
                    )
                    with self.lock:
                        self.accepted.append(message_id)
        except smtplib.SMTPResponseException as exc:
            self.ended_with = str(exc.smtp_code)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.ended_with = type(exc).__name__


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_under_load_keeps_every_accepted_message(
    app, settings, redis_url, smtpd_port, tmp_path, processes
):
    make_list("team@example.org")
    env = service_env(
        settings,
        REDIS_URL=redis_url,
        SMTPD_PORT=str(smtpd_port),
        SMTPD_SHUTDOWN_SECONDS="5",
        SMTPD_PROCESSES=str(processes),
    )
    process = start(["smtpd"], env, log=tmp_path / "smtpd.log")
    try:
        wait_for_port(smtpd_port, process)
        accepted: list[str] = []
        lock = threading.Lock()
        clients = [LoadClient(smtpd_port, accepted, lock) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        while len(accepted) < SIGNAL_AFTER and any(c.is_alive() for c in clients):
            threading.Event().wait(0.01)
        process.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(timeout=60)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert all(not c.is_alive() for c in clients)
    # Every session ended by the drain: a 421, or (between a reply and the next command) a closed socket.
    assert {c.ended_with for c in clients} <= {"421", "SMTPServerDisconnected", "ConnectionResetError"}
    db.session.expire_all()
    stored = set(db.session.scalars(select(Post.message_id)))
    assert len(accepted) >= SIGNAL_AFTER
    assert set(accepted) <= stored, f"{len(set(accepted) - stored)} messages got a 250 but were not stored"


@pytest.mark.parametrize("processes", [1, 2])
def test_second_receiver_on_the_same_address_says_so_and_exits(app, settings, smtpd_port, processes):
    with receiver(app, smtpd_port):
        process = start(
            ["smtpd"], service_env(settings, SMTPD_PORT=str(smtpd_port), SMTPD_PROCESSES=str(processes))
        )
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last == (
        f"mailflow smtpd: cannot listen on 127.0.0.1:{smtpd_port}: Address already in use "
        "(is another SMTP receiver running there?)"
    )


@pytest.mark.parametrize("second", [1, 2])
def test_a_second_receiver_next_to_a_preforked_one_exits(app, settings, smtpd_port, tmp_path, second):
    first = start(
        ["smtpd"],
        service_env(settings, SMTPD_PORT=str(smtpd_port), SMTPD_PROCESSES="2"),
        log=tmp_path / "first.log",
    )
    try:
        wait_for_port(smtpd_port, first)
        process = start(
            ["smtpd"], service_env(settings, SMTPD_PORT=str(smtpd_port), SMTPD_PROCESSES=str(second))
        )
        _, err = process.communicate(timeout=30)
        assert process.returncode == 1
        last = err.decode().strip().splitlines()[-1]
        assert last.startswith(f"mailflow smtpd: cannot listen on 127.0.0.1:{smtpd_port}: ")
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0


def test_preforked_receivers_share_the_load_and_a_crashed_one_is_replaced(
    app, settings, redis_url, smtpd_port, tmp_path
):
    make_list("team@example.org")
    env = service_env(settings, REDIS_URL=redis_url, SMTPD_PORT=str(smtpd_port), SMTPD_PROCESSES="2")
    parent = start(["smtpd"], env, log=tmp_path / "smtpd.log")
    try:
        wait_for_port(smtpd_port, parent)
        children = wait_for_children(parent.pid, 2)
        served = {_serving_pid(smtpd_port, n) for n in range(12)}
        assert served == set(children)  # every process took some of the twelve sessions
        os.kill(children[0], signal.SIGKILL)
        replacement = wait_for_children(parent.pid, 2, without=children[0])
        assert children[1] in replacement
        for n in range(6):
            _serving_pid(smtpd_port, 100 + n)
    finally:
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) == 0
    db.session.expire_all()
    assert len(set(db.session.scalars(select(Post.message_id)))) == 18
    assert not [pid for pid in replacement if Path(f"/proc/{pid}").exists()]  # the parent stopped them all


def _serving_pid(port: int, n: int) -> int:
    """Send one message on a new session; the receiver process holding the server end of that session."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("alice@example.org", ["team@example.org"], message(subject=f"spread {n}"))
        client_port = client.sock.getsockname()[1]
        return _socket_owner(_server_inode(port, client_port))


def _server_inode(local_port: int, remote_port: int) -> str:
    """The inode of the established TCP socket local_port <- remote_port, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == local_port and int(fields[2].split(":")[1], 16) == remote_port:
            return fields[9]
    raise AssertionError(f"no server socket for 127.0.0.1:{local_port} <- {remote_port}")


def _socket_owner(inode: str) -> int:
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
        except OSError:
            continue
    raise AssertionError(f"no process holds socket {inode}")


def wait_for_children(parent: int, count: int, without: int = 0, timeout: float = 30.0) -> list[int]:
    """The parent's child processes once there are `count` of them (none of them `without`)."""
    deadline = time.monotonic() + timeout
    while True:
        children = _children(parent)
        if len(children) == count and without not in children:
            return children
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} children of {parent}, found {children}")
        time.sleep(0.05)


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def test_receiver_processes_default_to_one_per_core_at_most_four():
    from app.config import ConfigError, load_settings
    from app.ingress.smtp_server import receiver_processes

    auto = load_settings({"SECRET_KEY": "x"})
    assert [receiver_processes(auto, cores) for cores in (1, 2, 3, 8)] == [1, 2, 3, 4]
    assert receiver_processes(load_settings({"SECRET_KEY": "x", "SMTPD_PROCESSES": "6"}), 2) == 6
    with pytest.raises(ConfigError):
        load_settings({"SECRET_KEY": "x", "SMTPD_PROCESSES": "-1"})
