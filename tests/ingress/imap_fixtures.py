"""Shared pieces of the IMAP tests: a Dovecot per module, a poller in a thread, seeded messages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask import Flask

from app.ingress.imap import Backoff, Poller
from app.ingress.imap_mailbox import Mailbox, MailboxConfig, connect
from tests.support.dovecot import Dovecot
from tests.support.factories import message

USER, PASSWORD = "lists@example.org", "secret"


def mailbox_config(dovecot: Dovecot, **changes) -> MailboxConfig:
    config = MailboxConfig(
        host="127.0.0.1", port=dovecot.port, username=USER, password=PASSWORD, idle_seconds=30, poll_seconds=1
    )
    return replace(config, **changes)


def seed(
    dovecot: Dovecot, count: int, to: str = "team@example.org", folder: str = "INBOX", prefix: str = "seed"
) -> list[bytes]:
    raws = [
        message(
            to=to, subject=f"{prefix} {n}", message_id=f"<{prefix}-{n}@example.org>", body=f"message {n}\n"
        )
        for n in range(count)
    ]
    dovecot.append(USER, raws, folder)
    return raws


@contextmanager
def running_poller(app: Flask, config: MailboxConfig) -> Iterator[Poller]:
    """A poller serving in a background thread, stopped and joined on exit."""
    poller = Poller(app, config, threading.Event(), Backoff(base=0.1, cap=0.5))
    thread = threading.Thread(target=poller.run, name="test-poller", daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        poller.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "poller did not stop"


@contextmanager
def open_mailbox(config: MailboxConfig) -> Iterator[Mailbox]:
    client = connect(config)
    try:
        yield Mailbox(client, config)
    finally:
        client.logout()
