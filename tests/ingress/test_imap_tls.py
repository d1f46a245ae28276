"""The poller over implicit TLS and STARTTLS to a real Dovecot with a self-signed certificate."""

from __future__ import annotations

import ssl

import pytest

from app.ingress.imap import Poller
from app.models import PostSource
from tests.ingress.conftest import posts
from tests.ingress.imap_fixtures import PASSWORD, USER, mailbox_config, open_mailbox, seed
from tests.support.dovecot import Dovecot
from tests.support.factories import make_list
from tests.support.tls import write_server_files


@pytest.fixture(scope="module")
def tls_dovecot(tmp_path_factory):
    cert, key = write_server_files(tmp_path_factory.mktemp("imap-tls"))
    server = Dovecot({USER: PASSWORD}, tls=(cert, key))
    server.start()
    yield server, str(cert)
    server.cleanup()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_drain_over_tls(app, tls_dovecot, security):
    server, cert = tls_dovecot
    server.empty(USER)
    make_list("team@example.org")
    seed(server, 2)
    port = server.tls_port if security == "tls" else server.port
    config = mailbox_config(server, port=port, security=security, tls_ca=cert)
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
    assert [(p.source, p.tls) for p in posts()] == [(PostSource.IMAP, True)] * 2


def test_an_unknown_certificate_is_refused(app, tls_dovecot):
    server, _ = tls_dovecot
    config = mailbox_config(server, port=server.tls_port, security="tls")
    with pytest.raises(ssl.SSLCertVerificationError), open_mailbox(config):
        pass
