"""The aiosmtpd handler: validate recipients in RCPT, store and enqueue in DATA, answer 250 only after commit."""

from __future__ import annotations

import asyncio
import enum
import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.ingress.accept import Envelope, accept
from app.ingress.addresses import AddressRole
from app.ingress.lookup import resolve
from app.models import PostSource

log = logging.getLogger(__name__)


class Reply(enum.StrEnum):
    RCPT_OK = "250 2.1.5 Recipient OK"
    NO_SUCH_LIST = "550 5.1.1 No such list here: {address}"
    ROLE_NOT_HANDLED = "550 5.1.1 {address}: mail to this list address is not handled yet"
    TOO_BIG = "552 5.3.4 Message too big for this list server ({size} > {limit} bytes)"
    DB_DOWN = "451 4.3.0 Temporary storage failure, try again later"
    QUEUED = "250 2.0.0 Queued as post {ids}"
    NO_RECIPIENTS = "554 5.5.1 No valid recipients"


# Roles the pipeline can process today; the others are answered 550 until they are built.
HANDLED_ROLES = {AddressRole.POST, AddressRole.BOUNCES}


class ListHandler:
    """aiosmtpd hooks; database work runs in a thread pool so the event loop keeps serving sessions."""

    def __init__(self, app: Flask, workers: int = 8) -> None:
        self.app = app
        self.limit = app.config["MAILFLOW"].MAX_MESSAGE_SIZE
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtpd-db")

    async def _in_app(self, func, *args):
        def call():
            with self.app.app_context():
                return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self.pool, call)

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list) -> str:
        try:
            found = await self._in_app(resolve, address)
        except SQLAlchemyError:
            log.exception("database unavailable while checking RCPT %s", address)
            return Reply.DB_DOWN
        if found is None:
            return Reply.NO_SUCH_LIST.format(address=address)
        if found[1].role not in HANDLED_ROLES:
            return Reply.ROLE_NOT_HANDLED.format(address=address)
        envelope.rcpt_tos.append(address)
        return Reply.RCPT_OK

    async def handle_DATA(self, server, session, envelope) -> str:
        raw: bytes = envelope.original_content or b""
        if len(raw) > self.limit:
            return Reply.TOO_BIG.format(size=len(raw), limit=self.limit)
        if not envelope.rcpt_tos:
            return Reply.NO_RECIPIENTS
        meta = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            source=PostSource.SMTP,
            peer=_peer(session.peer),
            tls=session.ssl is not None,
        )
        try:
            ids = await self._in_app(accept, raw, meta)
        except SQLAlchemyError:
            log.exception("database unavailable: message from %s deferred", meta.mail_from)
            return Reply.DB_DOWN
        return Reply.QUEUED.format(ids=",".join(map(str, ids)))


def _peer(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")
