"""The aiosmtpd handler: validate recipients in RCPT, store and enqueue in DATA, answer 250 only after commit."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.ingress.accept import Envelope
from app.ingress.directory import ListDirectory
from app.ingress.group_commit import GroupCommitter
from app.ingress.headers import wire_text
from app.ingress.lookup import role_is_handled
from app.ingress.trace import Trace, received_field
from app.metrics.instruments import ingress_stored
from app.models import PostSource

log = logging.getLogger(__name__)


class Reply(enum.StrEnum):
    RCPT_OK = "250 2.1.5 Recipient OK"
    NO_SUCH_LIST = "550 5.1.1 No such list here: {address}"
    ROLE_NOT_HANDLED = "550 5.1.1 {address}: mail to this list address is not handled yet"
    TOO_MANY_RCPTS = "452 4.5.3 Too many recipients in one transaction (at most {limit})"
    TOO_BIG = "552 5.3.4 Message too big for this list server ({size} > {limit} bytes)"
    DB_DOWN = "451 4.3.0 Temporary storage failure, try again later"
    QUEUED = "250 2.0.0 Queued as post {ids}"
    NO_RECIPIENTS = "554 5.5.1 No valid recipients"
    SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
    IDLE_TIMEOUT = "421 4.4.2 Idle for too long, closing connection"


PIPELINING = "250-PIPELINING"


class ListHandler:
    """aiosmtpd hooks; database work runs in a thread pool so the event loop keeps serving sessions."""

    def __init__(self, app: Flask, workers: int = 8) -> None:
        self.app = app
        settings = app.config["MAILFLOW"]
        self.limit = settings.MAX_MESSAGE_SIZE
        self.max_rcpts = settings.SMTPD_MAX_RECIPIENTS
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtpd-db")
        self.committer = GroupCommitter(app)
        self.directory = ListDirectory()
        self.draining = False

    def close(self) -> None:
        """Store what is still queued, then stop the threads (after the drain)."""
        self.committer.close()
        self.pool.shutdown(wait=True)

    async def _in_app(self, func, *args):
        def call():
            with self.app.app_context():
                return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self.pool, call)

    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list[str]) -> list[str]:
        """Advertise PIPELINING too: aiosmtpd reads commands one by one from a buffered stream."""
        session.host_name = hostname
        return [*responses[:-1], PIPELINING, responses[-1]]

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list) -> str:
        address = wire_text(address)
        if len(envelope.rcpt_tos) >= self.max_rcpts:
            return _refused(session, envelope, address, Reply.TOO_MANY_RCPTS.format(limit=self.max_rcpts))
        try:
            found = self.directory.cached(address) or await self._in_app(self.directory.find, address)
        except SQLAlchemyError:
            log.exception("database unavailable while checking RCPT %s", address)
            return Reply.DB_DOWN
        if found is None:
            return _refused(session, envelope, address, Reply.NO_SUCH_LIST.format(address=address))
        list_id, reading = found
        if not role_is_handled(reading.role):
            return _refused(session, envelope, address, Reply.ROLE_NOT_HANDLED.format(address=address))
        envelope.rcpt_tos.append(address)
        # Remembered for DATA, so the message is not resolved a second time (a third of ingress time).
        envelope.mailflow_targets = [
            *getattr(envelope, "mailflow_targets", []),
            (list_id, reading.role.value),
        ]
        return Reply.RCPT_OK

    async def handle_DATA(self, server, session, envelope) -> str:
        raw: bytes = envelope.original_content or b""
        if len(raw) > self.limit:
            return _refused(session, envelope, None, Reply.TOO_BIG.format(size=len(raw), limit=self.limit))
        if not envelope.rcpt_tos:
            return _refused(session, envelope, None, Reply.NO_RECIPIENTS)
        meta = Envelope(
            mail_from=wire_text(envelope.mail_from or ""),
            rcpt_tos=tuple(envelope.rcpt_tos),
            targets=tuple(getattr(envelope, "mailflow_targets", ())),
            source=PostSource.SMTP,
            peer=_peer(session.peer),
            tls=session.ssl is not None,
            received=received_field(_trace(server, session, envelope)),
        )
        session.storing = True  # read by the shutdown drain: never cut a session while it commits
        started = time.monotonic()
        try:
            ids = await asyncio.wrap_future(self.committer.submit(raw, meta))
        except SQLAlchemyError as exc:
            log.error("database unavailable (%s)", type(exc).__name__)
            return _refused(session, envelope, None, Reply.DB_DOWN)
        finally:
            session.storing = False
        ingress_stored(PostSource.SMTP, time.monotonic() - started)
        reply = Reply.QUEUED.format(ids=",".join(map(str, ids)))
        log.info(
            "received %d bytes from %s, MAIL FROM %r, RCPT TO %r: %s",
            len(raw),
            meta.peer,
            meta.mail_from,
            list(meta.rcpt_tos),
            reply,
            extra={"post_id": ids[0] if len(ids) == 1 else ids},
        )
        return reply


def _refused(session, envelope, rcpt: str | None, reply: str) -> str:
    """Log one line for a refused recipient or message (what the sender was told), then reply."""
    log.info(
        "refused from %s, MAIL FROM %r, RCPT TO %r: %s",
        _peer(session.peer),
        wire_text(envelope.mail_from or ""),
        rcpt if rcpt is not None else list(envelope.rcpt_tos),
        reply,
    )
    return reply


def _trace(server, session, envelope) -> Trace:
    peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
    return Trace(
        helo=session.host_name or "",
        peer_ip=peer,
        by_host=server.hostname,
        esmtp=bool(session.extended_smtp),
        tls=_tls_description(session.ssl),
        smtputf8=bool(envelope.smtp_utf8),
        for_rcpt=envelope.rcpt_tos[0] if len(envelope.rcpt_tos) == 1 else "",
    )


def _tls_description(ssl_info: object) -> str:
    if not isinstance(ssl_info, dict):
        return ""
    cipher = ssl_info.get("cipher")
    if isinstance(cipher, tuple) and len(cipher) >= 2:
        return f"{cipher[1]} {cipher[0]}"
    return "TLS unknown"


def _peer(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")
