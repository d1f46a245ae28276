"""The IMAP side of the poller: connect, select, fetch in chunks, file messages away after the commit."""

from __future__ import annotations

import imaplib
import ssl
import time
from dataclasses import dataclass

from imapclient import DELETED, SEEN, IMAPClient

from app.config import ConfigError, Settings

# Anything that means "the server or the connection went away": reconnect with backoff.
CONNECTION_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)
SOCKET_TIMEOUT = 60.0
IDLE_TICK = 1.0  # how often an idling poller looks at its stop flag


@dataclass(frozen=True)
class MailboxConfig:
    """Where the poller reads, and what it does with a message once it is stored."""

    host: str
    port: int
    username: str
    password: str
    security: str = "none"  # none | starttls | tls
    folder: str = "INBOX"
    processed: str = "move"  # move | seen
    processed_folder: str = "Processed"
    unmatched_folder: str = "unmatched"
    oversized_folder: str = "oversized"
    batch_size: int = 100
    batch_bytes: int = 32 * 1024 * 1024  # bytes fetched per chunk (one message at least)
    max_message_size: int = 10 * 1024 * 1024  # larger messages are never fetched whole
    poll_seconds: float = 60
    idle_seconds: float = 20 * 60
    tls_ca: str = ""  # a CA bundle for a private or self-signed server certificate

    @classmethod
    def from_settings(cls, settings: Settings) -> MailboxConfig:
        """The MAILFLOW_IMAP_* settings; raises ConfigError when the mailbox is not configured."""
        if not (settings.IMAP_HOST and settings.IMAP_USERNAME):
            raise ConfigError("MAILFLOW_IMAP_HOST and MAILFLOW_IMAP_USERNAME must be set for `mailflow imap`")
        return cls(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT,
            username=settings.IMAP_USERNAME,
            password=settings.IMAP_PASSWORD,
            security=settings.IMAP_SECURITY,
            folder=settings.IMAP_FOLDER,
            processed=settings.IMAP_PROCESSED,
            processed_folder=settings.IMAP_PROCESSED_FOLDER,
            unmatched_folder=settings.IMAP_UNMATCHED_FOLDER,
            oversized_folder=settings.IMAP_OVERSIZED_FOLDER,
            batch_size=settings.IMAP_BATCH_SIZE,
            batch_bytes=settings.IMAP_BATCH_BYTES,
            max_message_size=settings.MAX_MESSAGE_SIZE,
            poll_seconds=settings.IMAP_POLL_SECONDS,
            idle_seconds=settings.IMAP_IDLE_SECONDS,
            tls_ca=settings.IMAP_TLS_CA,
        )

    @property
    def mailbox(self) -> str:
        """The mailbox's name in cursors, locks and logs (never the password)."""
        return f"{self.username}@{self.host}:{self.port}"


def connect(config: MailboxConfig) -> IMAPClient:
    """A logged-in client, over TLS, STARTTLS or plain as configured; certificates are always verified."""
    context = ssl.create_default_context(cafile=config.tls_ca or None)
    client = IMAPClient(
        config.host, config.port, ssl=config.security == "tls", ssl_context=context, timeout=SOCKET_TIMEOUT
    )
    try:
        if config.security == "starttls":
            client.starttls(context)
        client.login(config.username, config.password)
    except BaseException:
        client.shutdown()
        raise
    return client


class Mailbox:
    """One selected folder on a connected client."""

    def __init__(self, client: IMAPClient, config: MailboxConfig) -> None:
        self.client, self.config = client, config
        capabilities = set(client.capabilities())
        self.can_move = b"MOVE" in capabilities
        self.can_uid_expunge = b"UIDPLUS" in capabilities
        self.can_idle = b"IDLE" in capabilities
        wanted = [config.unmatched_folder, config.oversized_folder]
        if config.processed == "move":
            wanted.append(config.processed_folder)
        for folder in wanted:
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def select(self) -> int:
        """Select the watched folder; returns its UIDVALIDITY."""
        info = self.client.select_folder(self.config.folder)
        return int(info[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above last_uid, ascending (`N:*` also matches the highest UID, so filter)."""
        return sorted(uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE per UID: what a message weighs before any of it is fetched."""
        fetched = self.client.fetch(uids, ["RFC822.SIZE"])
        return {uid: int(data[b"RFC822.SIZE"]) for uid, data in fetched.items() if b"RFC822.SIZE" in data}

    def headers(self, uid: int, limit: int) -> bytes:
        """The first `limit` bytes of a message's header section (BODY.PEEK: nothing flagged)."""
        fetched = self.client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{limit}>"])
        data = fetched.get(uid, {})
        return next((value for key, value in data.items() if key.startswith(b"BODY[HEADER]")), b"") or b""

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """Raw bytes per UID, read with BODY.PEEK[] so nothing is flagged by reading."""
        fetched = self.client.fetch(uids, ["BODY.PEEK[]"])
        return {uid: data[b"BODY[]"] for uid, data in fetched.items() if b"BODY[]" in data}

    def file_processed(self, uids: list[int]) -> None:
        """After the commit: move to the processed folder, or flag \\Seen, as configured."""
        if not uids:
            return
        if self.config.processed == "seen":
            self.client.add_flags(uids, [SEEN])
        else:
            self.move(uids, self.config.processed_folder)

    def move(self, uids: list[int], folder: str) -> None:
        """MOVE, or COPY + \\Deleted + UID EXPUNGE where the server has no MOVE."""
        if not uids:
            return
        if self.can_move:
            self.client.move(uids, folder)
            return
        self.client.copy(uids, folder)
        self.client.add_flags(uids, [DELETED])
        if self.can_uid_expunge:
            self.client.uid_expunge(uids)
        else:
            self.client.expunge()

    def wait_for_news(self, seconds: float, stop_requested) -> None:
        """IDLE until the server reports new mail, seconds pass, or stop_requested() is true."""
        self.client.idle()
        try:
            deadline = time.monotonic() + seconds
            while not stop_requested() and (left := deadline - time.monotonic()) > 0:
                responses = self.client.idle_check(timeout=min(IDLE_TICK, left))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
        finally:
            self.client.idle_done()
