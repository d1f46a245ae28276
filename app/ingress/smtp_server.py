"""Run the SMTP receiver: aiosmtpd on MAILFLOW_SMTPD_HOST:PORT, a graceful drain on SIGTERM, the reconciler."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP
from flask import Flask

from app.config import ConfigError, Settings
from app.ingress.data_reader import DataError, read_data
from app.ingress.prefork import serve_forked
from app.ingress.smtp import ListHandler, Reply
from app.ingress.stopsignal import StopSignal
from app.jobs.reconcile import start_reconciler
from app.metrics.instruments import smtp_session_closed, smtp_session_opened

log = logging.getLogger(__name__)
DRAIN_TICK = 0.05
AUTO_PROCESSES_MAX = 4  # receivers forked by default on a big machine; more only when asked for
STORE_WAIT = 60.0  # after the grace period, how long a commit already under way may still take


class ReceiverBusy(OSError):
    """The address is taken: another receiver (or another program) listens there."""


class ListSMTP(SMTP):
    """aiosmtpd's SMTP with a session registry for the drain, and 421 replies instead of silent closes."""

    def __init__(self, handler: ListHandler, registry: set[ListSMTP], **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self._registry = registry

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._registry.add(self)
        smtp_session_opened()

    def connection_lost(self, error) -> None:
        self._registry.discard(self)
        smtp_session_closed()
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        if self.storing:
            self._reset_timeout()
            return
        log.info("%r idle timeout", self.session.peer if self.session else None)
        self.goodbye(Reply.IDLE_TIMEOUT)

    async def smtp_MAIL(self, arg: str | None) -> None:
        if self.event_handler.draining:
            self.goodbye(Reply.SHUTTING_DOWN)
            return
        await super().smtp_MAIL(arg)

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA with the message read in chunks (data_reader) rather than a line at a time."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if self.envelope is None or not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            got = await read_data(self._reader, self.data_size_limit, self.line_length_limit)
        except asyncio.CancelledError:
            log.info("connection lost during DATA")
            self._writer.close()
            raise
        if got.error is DataError.CLOSED:
            return
        if got.error is not None:
            await self.push(got.error.value)
            self._set_post_data_state()
            return
        self.envelope.content = self.envelope.original_content = got.content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    @property
    def storing(self) -> bool:
        """True while the DATA hook commits this session's message."""
        return bool(getattr(self.session, "storing", False))

    @property
    def in_transaction(self) -> bool:
        """True between an accepted MAIL and the end of its DATA (or RSET)."""
        return self.envelope is not None and self.envelope.mail_from is not None

    def goodbye(self, reply: str) -> None:
        """Send a final reply and close; the transport flushes the reply before it closes."""
        transport = cast("asyncio.WriteTransport | None", self.transport)
        if transport is not None and not transport.is_closing():
            transport.write(f"{reply}\r\n".encode())
            transport.close()


class ListController(Controller):
    """A Controller that binds in the caller's thread (a clear error at once) and can drain before stopping."""

    def __init__(
        self, handler: ListHandler, *, hostname: str, port: int, sock: socket.socket | None = None, **kwargs
    ) -> None:
        super().__init__(handler, hostname=hostname, port=port, **kwargs)
        self.sessions: set[ListSMTP] = set()
        self._socket = sock  # a listener bound before forking, shared by every receiver process

    def factory(self) -> ListSMTP:
        return ListSMTP(self.handler, self.sessions, **self.SMTP_kwargs)

    def start(self) -> None:
        if self._socket is None:
            self._socket = bind_listener(self.hostname, self.port)
        super().start()

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._socket, ssl=self.ssl_context)

    def drain(self, grace: float) -> None:
        """Stop listening, let transactions in flight finish for up to grace seconds, then 421 the rest."""
        future = asyncio.run_coroutine_threadsafe(self._drain(grace), self.loop)
        future.result(timeout=grace + STORE_WAIT + 5)

    async def _drain(self, grace: float) -> None:
        self.handler.draining = True
        if self.server is not None:
            self.server.close()
        loop = asyncio.get_running_loop()
        deadline, hard_stop = loop.time() + grace, loop.time() + grace + STORE_WAIT
        while self.sessions and loop.time() < hard_stop:
            late = loop.time() >= deadline
            for session in list(self.sessions):
                if not session.storing and (late or not session.in_transaction):
                    session.goodbye(Reply.SHUTTING_DOWN)
            await asyncio.sleep(DRAIN_TICK)


def bind_listener(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """The listening socket; a second receiver on the same address fails here with ReceiverBusy.

    reuse_port: one of several sockets on the same address that the kernel spreads connections over
    (SO_REUSEPORT); only the pre-forked receiver uses it, after claim_address() made sure it is alone.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ReceiverBusy(
            exc.errno,
            f"cannot listen on {host}:{port}: {exc.strerror} (is another SMTP receiver running there?)",
        ) from None
    sock.setblocking(False)
    return sock


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """A server context for STARTTLS when MAILFLOW_SMTPD_TLS_CERT and _KEY are set, else None."""
    cert, key = settings.SMTPD_TLS_CERT, settings.SMTPD_TLS_KEY
    if not cert and not key:
        return None
    if not (cert and key):
        raise ConfigError("MAILFLOW_SMTPD_TLS_CERT and MAILFLOW_SMTPD_TLS_KEY must be set together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"MAILFLOW_SMTPD_TLS_CERT/KEY: cannot load {cert} / {key}: {exc}") from None
    return context


def make_controller(
    app: Flask, host: str | None = None, port: int | None = None, sock: socket.socket | None = None
) -> ListController:
    """An aiosmtpd controller serving the list handler (started by the caller)."""
    settings = app.config["MAILFLOW"]
    return ListController(
        ListHandler(app),
        hostname=host or settings.SMTPD_HOST,
        port=port or settings.SMTPD_PORT,
        sock=sock,
        server_hostname=settings.SMTPD_HOST,
        ready_timeout=10,
        data_size_limit=settings.MAX_MESSAGE_SIZE,
        enable_SMTPUTF8=True,
        tls_context=tls_context(settings),
        timeout=settings.SMTPD_TIMEOUT,
        ident="MailFlow Relay",
    )


def serve(app: Flask) -> None:
    """Serve until SIGTERM or SIGINT, then drain; with SMTPD_PROCESSES > 1, in that many forked processes."""
    settings = app.config["MAILFLOW"]
    host, port, processes = settings.SMTPD_HOST, settings.SMTPD_PORT, receiver_processes(settings)
    tls_context(settings)  # a bad certificate stops start-up here, once, not in every process
    log.info(
        "SMTP receiver listening on %s:%s%s with %d process(es)",
        host,
        port,
        " (STARTTLS offered)" if settings.SMTPD_TLS_CERT else "",
        processes,
    )
    if processes == 1:
        serve_one(app, bind_listener(host, port), reconcile=True)
        return
    claim = claim_address(host, port)
    try:
        sockets = [bind_listener(host, port, reuse_port=True) for _ in range(processes)]
        serve_forked(app, sockets, serve_one)
    finally:
        claim.close()


def receiver_processes(settings: Settings, cores: int | None = None) -> int:
    """MAILFLOW_SMTPD_PROCESSES, where 0 means one per CPU core (at most AUTO_PROCESSES_MAX)."""
    if settings.SMTPD_PROCESSES:
        return settings.SMTPD_PROCESSES
    return max(1, min(AUTO_PROCESSES_MAX, cores or os.cpu_count() or 1))


def claim_address(host: str, port: int) -> socket.socket:
    """A machine-wide claim on host:port (an abstract Unix socket), since SO_REUSEPORT alone would let a
    second pre-forked receiver share the port; released when this process ends."""
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0mailflow-smtpd {host}:{port}")
    except OSError as exc:
        claim.close()
        raise ReceiverBusy(
            exc.errno,
            f"cannot listen on {host}:{port}: another MailFlow receiver holds it "
            "(is another SMTP receiver running there?)",
        ) from None
    return claim


def serve_one(
    app: Flask, sock: socket.socket, reconcile: bool, on_signal: Callable[[], None] | None = None
) -> None:
    """One receiver process: nothing that got a 250 is lost, nothing half-read is kept."""
    settings = app.config["MAILFLOW"]
    controller = make_controller(app, sock=sock)
    stopper = StopSignal().install()
    stop = threading.Event()  # set here, in the main thread, never in a signal handler
    controller.start()
    reconciler = start_reconciler(app, stop) if reconcile else None
    while not stopper.wait():
        pass
    if on_signal is not None:
        on_signal()
    stop.set()
    log.info(
        "SMTP receiver stopping: finishing transactions in flight (up to %ss)",
        settings.SMTPD_SHUTDOWN_SECONDS,
    )
    controller.drain(settings.SMTPD_SHUTDOWN_SECONDS)
    controller.stop()
    controller.handler.close()
    if reconciler is not None:
        reconciler.join(timeout=5)
    log.info("SMTP receiver stopped")
