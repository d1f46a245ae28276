"""Egress through the organisation's own SMTP server, one connection reused across a batch."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, partial

from app.config import Settings
from app.egress.base import Outgoing, SendResult

log = logging.getLogger(__name__)
# The connection, or the session set-up (TLS, AUTH), failed: nothing more was accepted; try again later.
# Per-recipient refusals are caught before this (settle, send_one).
CONNECTION_ERRORS = (smtplib.SMTPException, OSError)
NO_SMTPUTF8 = "5.6.7 the relay does not offer SMTPUTF8 (RFC 6531), which this address needs"


class SMTPSender:
    """Sends each copy as its own transaction (MAIL, RCPT, DATA) on a shared connection."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None
        # A copy whose DATA got 354 (its message goes with the next write), and what the last start() awaits.
        self._pending: Outgoing | None = None
        self._owed: tuple[Outgoing | None, Outgoing | None] | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.SMTP_SECURITY == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.SMTP_HOST, s.SMTP_PORT, timeout=s.SMTP_TIMEOUT, context=_tls_context(s.SMTP_CA_FILE)
            )
        else:
            conn = smtplib.SMTP(s.SMTP_HOST, s.SMTP_PORT, timeout=s.SMTP_TIMEOUT)
        try:
            conn.ehlo()
            if s.SMTP_SECURITY == "starttls":
                conn.starttls(context=_tls_context(s.SMTP_CA_FILE))
                conn.ehlo()
            if s.SMTP_USERNAME:
                conn.login(s.SMTP_USERNAME, s.SMTP_PASSWORD)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def open(self) -> None:
        """Open the connection now (greeting, TLS, AUTH), raising what the relay said if it would not."""
        self._connection()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        """Each copy's result, in batch order; plain copies streamed (RFC 2920), one round trip each."""
        return interleaved([self], batch)

    def lost(self, copy: Outgoing, exc: BaseException) -> SendResult:
        """A copy the connection failed under: not accepted as far as we know, so tried again later."""
        reason = f"connection to {self.settings.SMTP_HOST}:{self.settings.SMTP_PORT} failed: {exc}"
        return SendResult(copy.delivery_id, ok=False, error=reason, bounce=False)

    def start(self, copy: Outgoing) -> bool:
        """Write the pending message and this copy's MAIL, RCPT and DATA, not waiting for the answers.

        False, with nothing written, when the copy cannot go in a pipelined group (see _streamable).
        """
        conn = self._connection()
        if not _streamable(conn, copy):
            return False
        pending, self._pending = self._pending, None
        conn.send((_dot_stuffed(pending.data) if pending else b"") + _envelope(copy))
        self._owed = (pending, copy)
        return True

    def settle(self) -> list[SendResult]:
        """Read what the last write is owed: the pending message's answer, then the envelope's (if one went)."""
        if self._owed is None:
            return []
        (pending, copy), self._owed = self._owed, None
        conn = self._live()
        results = [self._accepted(pending, *conn.getreply())] if pending is not None else []
        if copy is None:
            return results
        refused = self._envelope_refused(conn, copy, (conn.getreply(), conn.getreply(), conn.getreply()))
        if refused is None:
            self._pending = copy  # DATA got its 354: the message goes with the next write
        else:
            results.append(refused)
        return results

    def end(self) -> list[SendResult]:
        """Write the pending message on its own (no next copy goes with it); settle() reads its answer."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._live().send(_dot_stuffed(pending.data))
            self._owed = (pending, None)
        return []

    def flush(self) -> list[SendResult]:
        """Everything owed settled, and the pending message sent and answered."""
        results = self.settle()
        self.end()
        return results + self.settle()

    def _live(self) -> smtplib.SMTP:
        """The open connection a streamed copy is waiting on (never a new one: that one knows nothing of it)."""
        if self._conn is None:
            raise smtplib.SMTPServerDisconnected("the connection closed with copies in flight")
        return self._conn

    def send_one(self, copy: Outgoing) -> SendResult:
        """One copy on its own, command by command: a non-ASCII envelope or a relay without PIPELINING."""
        conn = self._connection()
        if not _sendable(copy):
            return failure(copy, 553, b"address not allowed in an SMTP command", recipient=True)
        needs_utf8 = not (copy.rcpt.isascii() and copy.mail_from.isascii())
        if needs_utf8 and not conn.has_extn("smtputf8"):  # RFC 6531 3.2: never send such a copy without it
            return failure(copy, 553, NO_SMTPUTF8, recipient=False)
        options = ["SMTPUTF8"] if needs_utf8 else []
        code, text = conn.mail(copy.mail_from, options)
        if code != 250:
            return self._refused(conn, copy, code, text, recipient=False)
        code, text = conn.rcpt(copy.rcpt)
        if code not in (250, 251):
            return self._refused(conn, copy, code, text, recipient=True)
        try:
            code, text = conn.data(copy.data)
        except smtplib.SMTPDataError as exc:  # DATA itself was refused (no 354)
            code, text = exc.smtp_code, _as_bytes(exc.smtp_error)
        if code != 250:
            return self._refused(conn, copy, code, text, recipient=False)
        return SendResult(copy.delivery_id, ok=True, provider_id=_queue_id(text, copy.delivery_id))

    def _envelope_refused(
        self, conn: smtplib.SMTP, copy: Outgoing, replies: tuple[tuple[int, bytes], ...]
    ) -> SendResult | None:
        """The failure the replies to MAIL, RCPT and DATA mean, or None when DATA got its 354."""
        (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = replies
        if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
            conn.send(b".\r\n")  # a server that said 354 anyway gets an empty message, then RSET
            conn.getreply()
        if mail_code != 250:
            return self._refused(conn, copy, mail_code, mail_text, recipient=False)
        if rcpt_code not in (250, 251):
            return self._refused(conn, copy, rcpt_code, rcpt_text, recipient=True)
        if data_code != 354:
            return self._refused(conn, copy, data_code, data_text, recipient=False)
        return None

    def _accepted(self, copy: Outgoing, code: int, text: bytes) -> SendResult:
        """The relay's answer to a copy's message (the transaction is over either way: nothing to reset)."""
        if code == 421 or code == -1:  # the server is closing the connection
            raise smtplib.SMTPServerDisconnected(f"{code} {text.decode('utf-8', 'replace')}")
        if code != 250:
            return failure(copy, code, text, recipient=False)
        return SendResult(copy.delivery_id, ok=True, provider_id=_queue_id(text, copy.delivery_id))

    def _refused(
        self, conn: smtplib.SMTP, copy: Outgoing, code: int, text: bytes, recipient: bool
    ) -> SendResult:
        if code == 421 or code == -1:  # the server is closing the connection
            raise smtplib.SMTPServerDisconnected(f"{code} {text.decode('utf-8', 'replace')}")
        self._reset(conn)
        return failure(copy, code, text, recipient)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except smtplib.SMTPException:
            self._drop()

    def _drop(self) -> None:
        self._pending = self._owed = None
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        if self._pending is not None or self._owed is not None:
            self._drop()  # mid-transaction a QUIT would be read as message text: just hang up
            return
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def interleaved(senders: Sequence[SMTPSender], batch: Iterable[Outgoing]) -> list[SendResult]:
    """The batch dealt in turn over one or a few connections by this one thread; results in batch order.

    A copy's message goes out in the same write as the next copy's MAIL, RCPT and DATA on its connection
    (RFC 2920 lets message content start a pipelined group); the answers a connection is owed are read just
    before it is written to again. The batch may be built as it is taken (a generator): then the relay
    answers one copy while the next is built, not only while it is written (no threads: a relay that keeps
    up leaves the worker's CPU as the limit, and threads would only hand the GIL about). A connection that
    fails fails only its own unanswered copies, for a later try.
    """
    results: dict[int, SendResult] = {}
    taken: list[Outgoing] = []
    given: list[list[Outgoing]] = [[] for _ in senders]  # each connection's copies, for its failure
    broken: dict[int, BaseException] = {}  # connections that failed in this batch, and how

    def step(index: int, action: Callable[[], list[SendResult]]) -> None:
        try:
            results.update((r.delivery_id, r) for r in action())
        except CONNECTION_ERRORS as exc:
            senders[index].close()  # mid-transaction: hangs up
            broken[index] = exc
            for copy in given[index]:
                results.setdefault(copy.delivery_id, senders[index].lost(copy, exc))

    for number, copy in enumerate(batch):
        taken.append(copy)
        index = number % len(senders)
        sender = senders[index]
        given[index].append(copy)
        if index not in broken:
            step(index, sender.settle)  # what its last write is owed came in while the others were built
        if index in broken:
            results.setdefault(copy.delivery_id, sender.lost(copy, broken[index]))
            continue
        step(index, partial(_write, sender, copy))
    for action in (SMTPSender.settle, SMTPSender.end, SMTPSender.settle):  # each step on every connection in
        for index, sender in enumerate(senders):  # turn: the relay answers one while the other is written
            if index not in broken:
                step(index, partial(action, sender))
    return [results[c.delivery_id] for c in taken]


def _write(sender: SMTPSender, copy: Outgoing) -> list[SendResult]:
    """Stream the copy on this connection; one that cannot be streamed goes on its own, after the pending one."""
    return [] if sender.start(copy) else sender.flush() + [sender.send_one(copy)]


@lru_cache(maxsize=4)
def _tls_context(cafile: str) -> ssl.SSLContext:
    """One verifying TLS context per CA file (loading the system CA store costs ~90 ms; senders are per batch)."""
    return ssl.create_default_context(cafile=cafile or None)


def _sendable(copy: Outgoing) -> bool:
    """No address that would end, split or corrupt an SMTP command line."""
    return not any(c in copy.rcpt + copy.mail_from for c in "\r\n\x00<>")


def _streamable(conn: smtplib.SMTP, copy: Outgoing) -> bool:
    """A copy that can go in a pipelined group: ASCII envelope, sendable, and a relay that offers PIPELINING."""
    return (
        copy.rcpt.isascii() and copy.mail_from.isascii() and _sendable(copy) and conn.has_extn("pipelining")
    )


def _envelope(copy: Outgoing) -> bytes:
    return f"MAIL FROM:<{copy.mail_from}>\r\nRCPT TO:<{copy.rcpt}>\r\nDATA\r\n".encode("ascii")


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: leading dots doubled, CRLF-terminated, then the end-of-data line."""
    if data.startswith(b".") or b"\n." in data:  # most copies have no such line: skip the regex
        data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _queue_id(reply: bytes, delivery_id: int) -> str:
    """The server's words after 250 (often "queued as ID"), trimmed; our own id when it says nothing."""
    text = " ".join(reply.decode("utf-8", "replace").split())[:200]
    return text or f"smtp-{delivery_id}"


def failure(copy: Outgoing, code: int, text: bytes | str, recipient: bool = True) -> SendResult:
    """A refused copy: 5xx is permanent, anything else is tried again.

    Only a refused recipient (RCPT) is a bounce; a refused sender or message says nothing about the member,
    and counting it would disable a whole list behind a misconfigured relay.
    """
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    permanent = 500 <= code < 600
    return SendResult(
        copy.delivery_id, ok=False, error=f"{code} {message}", permanent=permanent, bounce=recipient
    )


def _as_bytes(text: bytes | str) -> bytes:
    """smtplib hands over a server's reply as bytes, or as str when it made the error up itself."""
    return text if isinstance(text, bytes) else text.encode("utf-8", "replace")
