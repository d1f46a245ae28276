"""Optional DKIM signing of every copy (dkimpy), wrapped around whichever sender is active."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import dkim

from app.config import ConfigError, Settings
from app.egress.base import Outgoing, Sender, SendResult

# From, Subject and the List-* fields a receiver shows or acts on, plus the usual identity fields.
SIGNED_HEADERS = (
    b"From",
    b"Subject",
    b"List-Id",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"Date",
    b"Message-ID",
    b"To",
    b"Cc",
    b"Reply-To",
    b"MIME-Version",
    b"Content-Type",
)


def signing_key(settings: Settings) -> bytes:
    """The private key from MAILFLOW_DKIM_PRIVATE_KEY_FILE; raises ConfigError naming the variable."""
    try:
        return Path(settings.DKIM_PRIVATE_KEY_FILE).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"MAILFLOW_DKIM_PRIVATE_KEY_FILE={settings.DKIM_PRIVATE_KEY_FILE!r}: {exc}"
        ) from None


class DKIMSigningSender:
    """Signs each copy with relaxed/relaxed canonicalisation, then hands it to the inner sender."""

    def __init__(self, inner: Sender, domain: str, selector: str, key: bytes) -> None:
        self.inner, self.domain, self.selector, self.key = inner, domain.encode(), selector.encode(), key
        self.name = inner.name

    def sign(self, data: bytes) -> bytes:
        """The copy with a DKIM-Signature field in front."""
        signature = dkim.sign(
            data,
            self.selector,
            self.domain,
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
            linesep=b"\r\n",
        )
        return signature + data

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        # Each copy signed as the inner sender takes it: the relay answers one while the next is signed.
        return self.inner.send(replace(copy, data=self.sign(copy.data)) for copy in batch)

    def close(self) -> None:
        self.inner.close()
