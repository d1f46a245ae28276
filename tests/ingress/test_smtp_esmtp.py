"""ESMTP as clients expect it, through real smtplib sessions and raw sockets."""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl

import pytest

from app.mail import list_addresses
from app.mail.list_addresses import AddressRole
from tests.ingress.conftest import app_with, post_count, posts
from tests.support.factories import make_list, message
from tests.support.stack import receiver, send
from tests.support.tls import write_server_files


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    cert, key = write_server_files(tmp_path_factory.mktemp("tls"))
    return str(cert), str(key)


def test_extensions_are_advertised(queued_app, smtpd_port):
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo("client.example")
        features = client.esmtp_features
    assert {"size", "8bitmime", "smtputf8", "pipelining"} <= set(features)
    assert "starttls" not in features  # no certificate configured


def test_one_transaction_to_two_lists_makes_one_post_per_list(queued_app, smtpd_port):
    make_list("team@example.org")
    make_list("dev@example.org")
    raw = message(to="team@example.org, dev@example.org")
    with receiver(queued_app, smtpd_port):
        assert send(smtpd_port, "alice@example.org", ["team@example.org", "DEV@example.org"], raw) == {}
    stored = posts()
    assert sorted(p.mailing_list.address for p in stored) == ["dev@example.org", "team@example.org"]
    assert {p.sha256 for p in stored} == {hashlib.sha256(raw).hexdigest()}
    # Two recipients: the Received field names none of them.
    assert all(b"for <" not in p.raw.split(b"\r\n\r\n")[0] for p in stored)


def test_received_field_names_the_peer_and_keeps_dedupe(queued_app, smtpd_port):
    make_list("team@example.org")
    raw = message()
    with receiver(queued_app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], raw)
        send(smtpd_port, "alice@example.org", ["team@example.org"], raw)  # a client's retry
    [post] = posts()
    trace = post.raw[: post.raw.index(raw)].decode()
    assert trace.startswith("Received: from ") and "([127.0.0.1])" in trace
    assert "with ESMTP" in trace and "for <team@example.org>;" in trace
    assert (post.mail_from, post.rcpt_tos, post.tls) == ("alice@example.org", ["team@example.org"], False)


def test_recipient_limit_per_transaction(settings, redis_url, smtpd_port):
    with app_with(settings, REDIS_URL=redis_url, SMTPD_MAX_RECIPIENTS="2") as app:
        for name in ("a", "b", "c"):
            make_list(f"{name}@example.org")
        with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
            client.ehlo()
            client.mail("alice@example.org")
            assert client.rcpt("a@example.org")[0] == 250
            assert client.rcpt("nobody@example.org")[0] == 550  # refused ones do not count
            assert client.rcpt("b@example.org")[0] == 250
            code, text = client.rcpt("c@example.org")
            assert (code, text[:5]) == (452, b"4.5.3")
            client.data(message(to="a@example.org"))
        assert sorted(p.mailing_list.local_part for p in posts()) == ["a", "b"]


def test_roles_without_a_processor_are_refused(queued_app, smtpd_port, monkeypatch):
    make_list("team@example.org")
    monkeypatch.setattr(list_addresses, "HANDLED_ROLES", {AddressRole.POST, AddressRole.OWNER})
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        client.mail("alice@example.org")
        assert client.rcpt("team-owner@example.org")[0] == 250
        assert client.rcpt("team-bounces+abc@example.org")[0] == 550
        assert client.rcpt("team-elsewhere@example.org")[0] == 550


def test_pipelined_commands_get_replies_in_order(queued_app, smtpd_port):
    make_list("team@example.org")
    body = message().replace(b"\r\n.", b"\r\n..")
    with receiver(queued_app, smtpd_port), socket.create_connection(("127.0.0.1", smtpd_port), 10) as sock:
        stream = sock.makefile("rb")
        stream.readline()
        sock.sendall(b"EHLO pipe.example\r\n")
        while not stream.readline().startswith(b"250 "):
            pass
        # RFC 2920: the whole transaction in one write, then the replies.
        sock.sendall(
            b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<team@example.org>\r\n"
            b"RCPT TO:<stranger@example.net>\r\nDATA\r\n"
        )
        codes = [stream.readline()[:3] for _ in range(4)]
        sock.sendall(body + b".\r\nQUIT\r\n")
        codes += [stream.readline()[:3], stream.readline()[:3]]
    assert codes == [b"250", b"250", b"550", b"354", b"250", b"221"]
    assert post_count() == 1


def test_starttls_with_a_self_signed_certificate(settings, redis_url, smtpd_port, certificate):
    cert, key = certificate
    with app_with(settings, REDIS_URL=redis_url, SMTPD_TLS_CERT=cert, SMTPD_TLS_KEY=key) as app:
        make_list("team@example.org")
        raw = message()
        context = ssl.create_default_context(cafile=cert)
        context.check_hostname = False
        with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
            client.ehlo()
            assert "starttls" in client.esmtp_features
            client.starttls(context=context)
            client.ehlo()
            client.sendmail("alice@example.org", ["team@example.org"], raw)
        [post] = posts()
        assert post.tls is True
        assert b"with ESMTPS" in post.raw and b"(using TLSv1" in post.raw


def test_idle_client_gets_421(settings, redis_url, smtpd_port):
    with app_with(settings, REDIS_URL=redis_url, SMTPD_TIMEOUT="1") as app:
        with receiver(app, smtpd_port), socket.create_connection(("127.0.0.1", smtpd_port), 10) as sock:
            stream = sock.makefile("rb")
            assert stream.readline().startswith(b"220 ")
            assert stream.readline().startswith(b"421 4.4.2")  # the server speaks first, after 1 s of silence
            assert stream.readline() == b""


def test_smtputf8_addresses_and_8bit_body(queued_app, smtpd_port):
    make_list("liste@xn--bcher-kva.example")  # lists are stored with A-label domains
    raw = "From: jörg@example.org\r\nTo: liste@bücher.example\r\nSubject: Grüße\r\n\r\nÄpfel\r\n".encode()
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        client.sendmail(
            "jörg@example.org", ["liste@bücher.example"], raw, mail_options=["SMTPUTF8", "BODY=8BITMIME"]
        )
    [post] = posts()
    assert post.raw.endswith(raw) and post.mail_from == "jörg@example.org"
    assert b"with UTF8SMTP" in post.raw
