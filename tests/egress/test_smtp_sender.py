"""The smtp egress against real aiosmtpd servers: plain, STARTTLS, implicit TLS, AUTH, refusals."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.config import load_settings
from app.egress import Outgoing
from app.egress.smtp import SMTPSender, interleaved
from tests.support.certs import make_self_signed, server_context
from tests.support.smtp import SinkHandler, free_port

COPY = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n"


def batch(*rcpts: str) -> list[Outgoing]:
    return [Outgoing(i, "team-bounces@example.org", rcpt, COPY) for i, rcpt in enumerate(rcpts, 1)]


def check_auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"relay" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_self_signed(tmp_path_factory.mktemp("certs"))


def serve(**kwargs) -> tuple[Controller, SinkHandler]:
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, handler


def sender(port: int, **settings) -> SMTPSender:
    return SMTPSender(load_settings({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), **settings}))


def test_one_connection_carries_the_whole_batch():
    controller, handler = serve()
    connections = []
    original = handler.handle_DATA

    async def count_sessions(server, session, envelope):
        connections.append(id(session))
        return await original(server, session, envelope)

    handler.handle_DATA = count_sessions
    try:
        smtp = sender(controller.port)
        results = smtp.send(batch("a@example.net", "b@example.net", "c@example.net"))
        smtp.close()
    finally:
        controller.stop()
    assert [r.ok for r in results] == [True, True, True]
    assert len(set(connections)) == 1
    assert [m.rcpt_tos for m in handler.messages] == [["a@example.net"], ["b@example.net"], ["c@example.net"]]
    assert {m.mail_from for m in handler.messages} == {"team-bounces@example.org"}


def test_starttls_with_auth(certs):
    cert, key = certs
    controller, handler = serve(
        tls_context=server_context(cert, key),
        require_starttls=True,
        authenticator=check_auth,
        auth_require_tls=True,
    )
    try:
        smtp = sender(
            controller.port,
            SMTP_SECURITY="starttls",
            SMTP_CA_FILE=str(cert),
            SMTP_USERNAME="relay",
            SMTP_PASSWORD="s3cret",
        )
        results = smtp.send(batch("a@example.net"))
        smtp.close()
    finally:
        controller.stop()
    assert results[0].ok, results[0].error
    assert len(handler.messages) == 1


def test_implicit_tls(certs):
    cert, key = certs
    controller, handler = serve(ssl_context=server_context(cert, key))
    try:
        smtp = sender(controller.port, SMTP_SECURITY="tls", SMTP_CA_FILE=str(cert))
        results = smtp.send(batch("a@example.net"))
        smtp.close()
    finally:
        controller.stop()
    assert results[0].ok, results[0].error


def test_untrusted_certificate_is_a_temporary_failure_not_a_send(certs):
    cert, key = certs
    controller, handler = serve(tls_context=server_context(cert, key), require_starttls=True)
    try:
        results = sender(controller.port, SMTP_SECURITY="starttls").send(batch("a@example.net"))
    finally:
        controller.stop()
    assert not results[0].ok and not results[0].permanent
    assert handler.messages == []


def test_wrong_password_fails_every_copy_for_retry(certs):
    cert, key = certs
    controller, handler = serve(tls_context=server_context(cert, key), authenticator=check_auth)
    try:
        smtp = sender(
            controller.port,
            SMTP_SECURITY="starttls",
            SMTP_CA_FILE=str(cert),
            SMTP_USERNAME="relay",
            SMTP_PASSWORD="wrong",
        )
        results = smtp.send(batch("a@example.net", "b@example.net"))
    finally:
        controller.stop()
    assert [r.ok for r in results] == [False, False]
    assert handler.messages == []


def test_refused_recipients_are_per_copy():
    controller, handler = serve()
    handler.refuse = {"gone@example.net": "550 5.1.1 no such user", "busy@example.net": "451 4.2.0 try later"}
    try:
        smtp = sender(controller.port)
        results = smtp.send(batch("gone@example.net", "busy@example.net", "ok@example.net"))
        smtp.close()
    finally:
        controller.stop()
    gone, busy, ok = results
    assert (gone.ok, gone.permanent) == (False, True) and gone.error.startswith("550")
    assert (busy.ok, busy.permanent) == (False, False) and busy.error.startswith("451")
    assert ok.ok
    assert [m.rcpt_tos for m in handler.messages] == [["ok@example.net"]]


def test_server_down_fails_the_batch_temporarily():
    results = sender(free_port()).send(batch("a@example.net", "b@example.net"))
    assert [(r.ok, r.permanent) for r in results] == [(False, False), (False, False)]


class PipeliningSink(SinkHandler):
    """aiosmtpd reads pipelined commands fine but does not say so; this sink advertises PIPELINING."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def test_pipelined_copies_keep_leading_dots_and_refusals_stay_per_copy():
    handler = PipeliningSink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.refuse = {"gone@example.net": "550 5.1.1 no such user"}
    dotted = b"From: a@example.org\r\nSubject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend"
    try:
        smtp = sender(controller.port)
        conn = smtp._connection()
        assert conn.has_extn("pipelining")  # so the copies below take the pipelined path
        results = smtp.send(
            [
                Outgoing(1, "team-bounces@example.org", "a@example.net", dotted),
                Outgoing(2, "team-bounces@example.org", "gone@example.net", dotted),
                Outgoing(3, "team-bounces@example.org", "b@example.net", dotted),
            ]
        )
        smtp.close()
    finally:
        controller.stop()
    assert [(r.ok, r.permanent) for r in results] == [(True, False), (False, True), (True, False)]
    assert [m.data for m in handler.messages] == [dotted + b"\r\n", dotted + b"\r\n"]


def test_addresses_that_would_inject_smtp_commands_are_refused():
    controller, handler = serve()
    try:
        smtp = sender(controller.port)
        results = smtp.send([Outgoing(1, "team-bounces@example.org", "a@example.net>\r\nRCPT TO:<b@x", COPY)])
        smtp.close()
    finally:
        controller.stop()
    assert not results[0].ok and results[0].permanent
    assert handler.messages == []


class QueueIdHandler(SinkHandler):
    """Names each accepted message after its recipient, refuses content with VIRUS in it after the data."""

    async def handle_DATA(self, server, session, envelope):
        if b"VIRUS" in envelope.original_content:
            return "554 5.6.0 content rejected"
        await super().handle_DATA(server, session, envelope)
        return f"250 2.0.0 queued as {envelope.rcpt_tos[0]}"


def test_streamed_copies_each_get_their_own_answer():
    """A copy's message shares a write with the next copy's envelope: each answer still lands on its copy."""
    handler = QueueIdHandler(refuse={"gone@example.net": "550 5.1.1 no such user"})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    rcpts = [f"m{i}@example.net" for i in range(12)]
    rcpts[4], rcpts[11] = "gone@example.net", "last@example.net"
    copies = [Outgoing(i, "team-bounces@example.org", r, COPY) for i, r in enumerate(rcpts)]
    copies[7] = Outgoing(7, "team-bounces@example.org", rcpts[7], COPY + b"VIRUS\r\n")
    copies.insert(9, Outgoing(99, "team-bounces@example.org", "bad>addr@example.net", COPY))
    try:
        smtp = sender(controller.port)
        results = smtp.send(copies)
        smtp.close()
    finally:
        controller.stop()
    assert [r.delivery_id for r in results] == [c.delivery_id for c in copies]
    by_id = {r.delivery_id: r for r in results}
    assert not by_id[4].ok and by_id[4].error.startswith("550") and by_id[4].bounce
    assert not by_id[7].ok and by_id[7].error.startswith("554") and not by_id[7].bounce
    assert not by_id[99].ok and by_id[99].error.startswith("553")
    for i in set(range(12)) - {4, 7}:
        assert by_id[i].ok and by_id[i].provider_id == f"2.0.0 queued as {rcpts[i]}"
    assert sorted(handler.by_rcpt()) == sorted(set(rcpts) - {"gone@example.net", rcpts[7]})


class DroppingHandler(QueueIdHandler):
    """Hangs up on the first connection to reach its fourth MAIL (421, then closed); the others carry on."""

    def __init__(self) -> None:
        super().__init__()
        self.mails: dict[object, int] = {}
        self.dropped: object = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        peer = session.peer
        self.mails[peer] = self.mails.get(peer, 0) + 1
        if self.dropped in (None, peer) and self.mails[peer] >= 4:
            self.dropped = peer
            server.transport.close()
            return "421 4.3.0 going away"
        envelope.mail_from = address
        return "250 OK"


def test_interleaved_connections_keep_each_answer_with_its_copy_and_fail_alone():
    """Two connections written in turn by one thread: one drops mid-batch, only its unanswered copies fail."""
    handler = DroppingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    rcpts = [f"m{i}@example.net" for i in range(20)]
    copies = [Outgoing(i, "team-bounces@example.org", r, COPY) for i, r in enumerate(rcpts)]
    copies[9] = Outgoing(9, "team-bounces@example.org", "bad>addr@example.net", COPY)  # not streamable
    try:
        senders = [sender(controller.port), sender(controller.port)]
        results = interleaved(senders, copies)
        for s in senders:
            s.close()
    finally:
        controller.stop()
    assert [r.delivery_id for r in results] == [c.delivery_id for c in copies]
    received = handler.by_rcpt()
    sent = {r.delivery_id for r in results if r.ok}
    assert {copies[i].rcpt for i in sent} == set(received)  # accepted exactly what was reported sent
    assert all(len(got) == 1 for got in received.values())
    unsendable = results.pop(9)
    assert not unsendable.ok and unsendable.error.startswith("553")
    for r in results:
        if r.ok:
            assert r.provider_id == f"2.0.0 queued as {copies[r.delivery_id].rcpt}"
        else:
            assert "failed" in r.error and not r.permanent and not r.bounce
    failed = [r.delivery_id for r in results if not r.ok]
    assert failed and {i % 2 for i in failed} == {failed[0] % 2}  # one connection's copies only
    assert len(sent) == 19 - len(failed)  # the other connection sent all of its copies, before and after 9


@pytest.mark.parametrize("smtputf8", [True, False])
def test_an_internationalised_address_needs_a_relay_that_offers_smtputf8(smtputf8):
    """RFC 6531: with SMTPUTF8 the copy goes; without it the copy fails for good, alone, and the batch goes on."""
    handler = QueueIdHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=smtputf8)
    controller.start()
    copies = [
        Outgoing(1, "team-bounces@example.org", "ann@example.net", COPY),
        Outgoing(2, "team-bounces@example.org", "gøran@exämple.net", COPY),
        Outgoing(3, "team-bounces@example.org", "bob@example.net", COPY),
    ]
    try:
        smtp = sender(controller.port)
        first, international, last = smtp.send(copies)
        smtp.close()
    finally:
        controller.stop()
    assert first.ok and last.ok
    if smtputf8:
        assert international.ok and "gøran@exämple.net" in handler.by_rcpt()
    else:
        assert not international.ok and international.permanent and not international.bounce
        assert international.error.startswith("553 5.6.7") and "SMTPUTF8" in international.error
        assert sorted(handler.by_rcpt()) == ["ann@example.net", "bob@example.net"]


def test_a_batch_given_as_a_generator_is_built_copy_by_copy_as_it_goes_out(monkeypatch):
    """Each copy is taken only after the one before it was written: the relay answers while the next is built."""
    events: list[str] = []
    start = SMTPSender.start

    def recorded_start(self, copy):
        events.append(f"written {copy.delivery_id}")
        return start(self, copy)

    def built():
        for copy in batch(*(f"m{i}@example.net" for i in range(6))):
            events.append(f"built {copy.delivery_id}")
            yield copy

    monkeypatch.setattr(SMTPSender, "start", recorded_start)
    controller, handler = serve()
    try:
        senders = [sender(controller.port), sender(controller.port)]
        results = interleaved(senders, built())
        for s in senders:
            s.close()
    finally:
        controller.stop()
    assert [r.delivery_id for r in results] == [1, 2, 3, 4, 5, 6] and all(r.ok for r in results)
    assert events == [f"{what} {i}" for i in range(1, 7) for what in ("built", "written")]
    assert len(handler.messages) == 6


def test_a_relay_known_to_keep_up_gets_every_batch_written_in_turn_from_its_first_copy(monkeypatch):
    """Only the first batch to a relay sends one copy on its own to time it; later ones alternate at once."""
    from app.egress import smtp_pool

    monkeypatch.setattr(smtp_pool, "SLOW_COPY_SECONDS", 5.0)  # a loaded CI host never makes it look slow
    controller, handler = serve()
    order: list[tuple[int, str]] = []  # (client port, recipient) per message
    original = handler.handle_DATA

    async def note_connection(server, session, envelope):
        order.append((session.peer[1], envelope.rcpt_tos[0]))
        return await original(server, session, envelope)

    handler.handle_DATA = note_connection
    pool = smtp_pool.PooledSMTPSender(
        load_settings({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port)})
    )
    try:
        first = pool.send(iter(batch("a@example.net", "b@example.net", "c@example.net")))
        later = pool.send(iter(batch("d@example.net", "e@example.net", "f@example.net", "g@example.net")))
    finally:
        pool.close()
        controller.stop()
    assert all(r.ok for r in first + later)
    assert smtp_pool._slow_relays == {("127.0.0.1", controller.port): False}
    port_of = {rcpt: port for port, rcpt in order}
    assert port_of["a@example.net"] == port_of["b@example.net"] != port_of["c@example.net"]  # a timed alone
    assert port_of["d@example.net"] == port_of["f@example.net"] != port_of["e@example.net"]
    assert port_of["e@example.net"] == port_of["g@example.net"]
