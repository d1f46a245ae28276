"""SMTP egress against a real aiosmtpd sink: per-recipient results, reuse, dropped connections, TLS, AUTH."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.config import load_settings
from app.egress.base import Outgoing
from app.egress.smtp import SMTPSender
from tests.support.smtp import SinkHandler, free_port, start_sink
from tests.support.tls import write_server_files

DATA = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello.\r\n"


def copy(n: int, rcpt: str) -> Outgoing:
    return Outgoing(n, "team-bounces+t@example.org", rcpt, DATA)


def sender_for(port: int, **extra) -> SMTPSender:
    return SMTPSender(
        load_settings({"EGRESS": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), **extra})
    )


@dataclass
class FlakyHandler(SinkHandler):
    """4xx on the first try for `flaky` recipients, then 250; counts connections; drops after `drop_after`."""

    flaky: set[str] = field(default_factory=set)
    tried: set[str] = field(default_factory=set)
    connections: int = 0
    drop_after: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_after and len(self.messages) >= self.drop_after:
            server.transport.close()  # the connection dies in the middle of the batch
            return "421 4.3.0 going away"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.flaky and address not in self.tried:
            self.tried.add(address)
            return "451 4.7.1 greylisted, try later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def flaky():
    handler = FlakyHandler(refuse={"gone@example.net": "550 5.1.1 no such user"}, flaky={"grey@example.net"})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_results_per_recipient_on_one_reused_connection(flaky):
    controller, handler = flaky
    sender = sender_for(controller.port)
    batch = [
        copy(1, "ann@example.net"),
        copy(2, "gone@example.net"),
        copy(3, "grey@example.net"),
        copy(4, "bob@example.net"),
    ]
    results = {r.delivery_id: r for r in sender.send(batch)}
    assert results[1].ok and results[4].ok
    assert not results[2].ok and results[2].permanent and results[2].error.startswith("550")
    assert results[2].bounce  # a refused recipient is the member's bounce
    assert not results[3].ok and not results[3].permanent and results[3].error.startswith("451")
    assert results[1].provider_id == "2.0.0 accepted"
    # the 4xx recipient is accepted on the next try, on the same connection
    assert sender.send([copy(3, "grey@example.net")])[0].ok
    sender.close()
    assert handler.connections == 1
    assert sorted(handler.by_rcpt()) == ["ann@example.net", "bob@example.net", "grey@example.net"]


def test_dropped_connection_leaves_the_rest_for_a_retry(flaky):
    controller, handler = flaky
    handler.drop_after = 2
    sender = sender_for(controller.port)
    results = sender.send([copy(i, f"m{i}@example.net") for i in range(1, 6)])
    sender.close()
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert all(not r.permanent for r in results[2:])
    assert len(handler.messages) == 2


def test_unreachable_server_is_a_temporary_failure():
    results = sender_for(free_port()).send([copy(1, "ann@example.net")])
    assert not results[0].ok and not results[0].permanent and "connection" in results[0].error


@pytest.fixture
def tls_files(tmp_path, monkeypatch):
    cert, key = write_server_files(tmp_path)
    return cert, key


def _auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"relay" and auth_data.password == b"s3cret")


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls_with_auth(tls_files, security):
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = SinkHandler()
    if security == "starttls":
        options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    else:  # implicit TLS: aiosmtpd does not count it as TLS for AUTH, the socket is encrypted all the same
        options = {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=_auth, **options)
    controller.start()
    try:
        sender = sender_for(
            controller.port,
            SMTP_SECURITY=security,
            SMTP_USERNAME="relay",
            SMTP_PASSWORD="s3cret",
            SMTP_CA_FILE=str(cert),
        )
        assert sender.send([copy(1, "ann@example.net")])[0].ok
        sender.close()
    finally:
        controller.stop()
    assert list(handler.by_rcpt()) == ["ann@example.net"]
    assert handler.messages and controller.port  # delivered over TLS after AUTH


def test_line_length_and_crlf_against_aiosmtpd():
    from app.egress.wire import MAX_LINE, longest_line, to_wire

    long_body = ("x" * 5000 + "\n") * 3
    raw = (
        f"From: a@example.org\nTo: b@example.net\nSubject: long\nContent-Type: text/plain\n\n{long_body}"
    ).encode()
    controller, handler = start_sink()
    try:
        sender = sender_for(controller.port)
        refused = sender.send([Outgoing(1, "a@example.org", "b@example.net", raw)])[0]
        assert not refused.ok  # aiosmtpd refuses a 5000-octet line, as the RFC allows
        sender.close()
        wire = to_wire(raw)
        assert longest_line(wire) <= MAX_LINE and b"\n" not in wire.replace(b"\r\n", b"")
        sender = sender_for(controller.port)
        assert sender.send([Outgoing(2, "a@example.org", "b@example.net", wire)])[0].ok
        sender.close()
    finally:
        controller.stop()
    import email
    from email.policy import default

    received = email.message_from_bytes(handler.messages[0].data, policy=default)
    assert received.get_content().replace("\r\n", "\n") == long_body


@dataclass
class PickyHandler(SinkHandler):
    """Refuses the envelope sender of chosen copies, or their content."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("refused-sender"):
            return "553 5.7.1 sender not allowed to relay"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"VIRUS" in envelope.original_content:
            return "554 5.6.0 message content rejected"
        return await super().handle_DATA(server, session, envelope)


def test_refused_sender_or_content_is_permanent_but_no_bounce():
    handler = PickyHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sender = sender_for(controller.port)
        bad_sender, bad_content, fine = sender.send(
            [
                Outgoing(1, "refused-sender@example.org", "ann@example.net", DATA),
                Outgoing(2, "team-bounces@example.org", "ann@example.net", DATA + b"VIRUS\r\n"),
                copy(3, "ann@example.net"),
            ]
        )
        sender.close()
    finally:
        controller.stop()
    for result in (bad_sender, bad_content):
        assert not result.ok and result.permanent and not result.bounce
    assert fine.ok and len(handler.messages) == 1
