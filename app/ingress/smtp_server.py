"""Run the SMTP receiver: aiosmtpd on MAILFLOW_SMTPD_HOST:PORT, plus the periodic reconciler."""

from __future__ import annotations

import logging
import signal
import threading

from aiosmtpd.controller import Controller
from flask import Flask

from app.ingress.smtp import ListHandler

log = logging.getLogger(__name__)


def make_controller(app: Flask, host: str | None = None, port: int | None = None) -> Controller:
    """An aiosmtpd controller serving the list handler (started by the caller)."""
    settings = app.config["MAILFLOW"]
    return Controller(
        ListHandler(app),
        hostname=host or settings.SMTPD_HOST,
        port=port or settings.SMTPD_PORT,
        server_hostname=settings.SMTPD_HOST,
        ready_timeout=10,
        data_size_limit=settings.MAX_MESSAGE_SIZE,
        enable_SMTPUTF8=True,
        ident="MailFlow Relay",
    )


def serve(app: Flask) -> None:
    """Serve until SIGTERM or SIGINT."""
    from app.reconcile import start_reconciler

    controller = make_controller(app)
    controller.start()
    settings = app.config["MAILFLOW"]
    log.info("SMTP receiver listening on %s:%s", settings.SMTPD_HOST, settings.SMTPD_PORT)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    reconciler = start_reconciler(app, stop)
    stop.wait()
    log.info("SMTP receiver stopping")
    controller.stop()
    reconciler.join(timeout=5)
