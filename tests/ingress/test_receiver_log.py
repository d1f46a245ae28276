"""The receiver logs one line per message it takes and per recipient or message it refuses."""

from __future__ import annotations

import logging
import smtplib

import pytest

from tests.support.factories import make_list, message
from tests.support.stack import receiver


def test_one_line_per_message_received_or_refused(queued_app, smtpd_port, caplog):
    make_list("team@example.org")
    with caplog.at_level(logging.INFO, logger="app.ingress.smtp"):
        with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
            client.sendmail("alice@example.org", ["team@example.org"], message())
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("eve@example.com", ["nobody@example.org"], message(sender="eve@example.com"))
    lines = [r.getMessage() for r in caplog.records if r.name == "app.ingress.smtp"]
    received = [line for line in lines if line.startswith("received")]
    refused = [line for line in lines if line.startswith("refused")]
    assert len(received) == 1 and len(refused) == 1, lines
    assert (
        "MAIL FROM 'alice@example.org', RCPT TO ['team@example.org']: 250 2.0.0 Queued as post" in received[0]
    )
    assert "MAIL FROM 'eve@example.com', RCPT TO 'nobody@example.org': 550 5.1.1" in refused[0]
    assert all("\n" not in line for line in lines)
