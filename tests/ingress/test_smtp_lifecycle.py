"""The receiver as a real process: SIGTERM under load loses nothing that got a 250; one receiver per address."""

from __future__ import annotations

import signal
import smtplib
import threading
from email.utils import make_msgid

from sqlalchemy import select

from app.extensions import db
from app.models import Post
from tests.support.factories import make_list, message
from tests.support.processes import service_env, start, wait_for_port
from tests.support.stack import receiver

CLIENTS = 8
SIGNAL_AFTER = 40      # accepted messages before SIGTERM is sent
PER_CLIENT_CAP = 200   # bound on each client's work whatever happens


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
                    client.sendmail("alice@example.org", ["team@example.org"],
                                    message(message_id=message_id, body="load\n" * 200))
                    with self.lock:
                        self.accepted.append(message_id)
        except smtplib.SMTPResponseException as exc:
            self.ended_with = str(exc.smtp_code)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.ended_with = type(exc).__name__


def test_sigterm_under_load_keeps_every_accepted_message(app, settings, redis_url, smtpd_port, tmp_path):
    make_list("team@example.org")
    env = service_env(settings, REDIS_URL=redis_url, SMTPD_PORT=str(smtpd_port), SMTPD_SHUTDOWN_SECONDS="5")
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


def test_second_receiver_on_the_same_address_says_so_and_exits(app, settings, smtpd_port):
    with receiver(app, smtpd_port):
        process = start(["smtpd"], service_env(settings, SMTPD_PORT=str(smtpd_port)))
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last == (f"mailflow smtpd: cannot listen on 127.0.0.1:{smtpd_port}: Address already in use "
                    "(is another SMTP receiver running there?)")


def test_a_certificate_that_cannot_be_loaded_stops_start_up_with_one_line(app, settings, smtpd_port, tmp_path):
    env = service_env(settings, SMTPD_PORT=str(smtpd_port), SMTPD_TLS_CERT=str(tmp_path / "missing.pem"),
                      SMTPD_TLS_KEY=str(tmp_path / "missing.key"))
    process = start(["smtpd"], env)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith("mailflow smtpd: configuration error: MAILFLOW_SMTPD_TLS_CERT/KEY: cannot load ")
