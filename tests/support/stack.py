"""A running receiver (aiosmtpd Controller around our handler) and a burst RQ worker, for tests."""

from __future__ import annotations

import smtplib
from contextlib import contextmanager

from flask import Flask

from app.ingress.smtp_server import make_controller
from app.jobs.worker import run_worker


@contextmanager
def receiver(app: Flask, port: int):
    controller = make_controller(app, host="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
        controller.handler.close()


def send(port: int, mail_from: str, rcpts: list[str], data: bytes) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(mail_from, rcpts, data)


def drain(app: Flask) -> None:
    """Run a real RQ worker in burst mode until every queue is empty."""
    run_worker(app, burst=True)
