"""Long-running services: `mailflow smtpd`, `imap`, `worker`, `web`, `dev`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.commands.preflight import require_ready
from app.commands.webserver import serve_web
from app.config import ConfigError
from app.ingress.imap import PollerBusy
from app.ingress.imap import serve as serve_imap
from app.ingress.smtp_server import ReceiverBusy
from app.ingress.smtp_server import serve as serve_smtp
from app.jobs.worker import run_worker
from app.logconfig import name_process
from app.metrics.multiprocess import enable_multiprocess


def start_process(name: str) -> None:
    """What every long-running process does first: name its log lines, count metrics into the shared folder."""
    name_process(name)
    enable_multiprocess(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command()
@with_appcontext
def smtpd() -> None:
    """Run the SMTP receiver on MAILFLOW_SMTPD_HOST:MAILFLOW_SMTPD_PORT."""
    start_process("smtpd")
    try:
        serve_smtp(current_app._get_current_object())  # type: ignore[attr-defined]
    except ReceiverBusy as exc:
        click.echo(f"mailflow smtpd: {exc.strerror}", err=True)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(f"mailflow smtpd: configuration error: {exc}", err=True)
        sys.exit(2)


@click.command()
@with_appcontext
def imap() -> None:
    """Poll the mailbox MAILFLOW_IMAP_* names and feed its mail to the lists (one poller per mailbox)."""
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    start_process("imap")
    try:
        serve_imap(current_app._get_current_object(), stop)  # type: ignore[attr-defined]
    except PollerBusy as exc:
        click.echo(f"mailflow imap: {exc}", err=True)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(f"mailflow imap: configuration error: {exc}", err=True)
        sys.exit(2)


@click.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker on MAILFLOW_REDIS_URL."""
    if not current_app.config["MAILFLOW"].REDIS_URL:
        raise SystemExit("mailflow worker needs MAILFLOW_REDIS_URL (without it jobs run in-process)")
    # the database was checked for every command (app/cli.py); a worker also needs Redis before it joins a queue
    require_ready(current_app._get_current_object(), "worker", database=False, redis=True)  # type: ignore[attr-defined]
    start_process("worker")
    run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]


@click.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@with_appcontext
def web(workers: int) -> None:
    """Serve the panel with gunicorn on MAILFLOW_WEB_HOST:MAILFLOW_WEB_PORT."""
    start_process("web")
    serve_web(current_app._get_current_object(), workers=workers)  # type: ignore[attr-defined]


@click.command()
@with_appcontext
def dev() -> None:
    """Everything in one process tree: receiver, panel, a worker when Redis is configured, the IMAP poller
    when a mailbox is."""
    settings = current_app.config["MAILFLOW"]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    require_ready(app, "dev", database=False, redis=bool(settings.REDIS_URL))
    names = (
        ["smtpd", "web"]
        + (["worker"] if settings.REDIS_URL else [])
        + (["imap"] if settings.IMAP_HOST else [])
    )
    children = [subprocess.Popen([sys.executable, "-m", "app.cli", name]) for name in names]
    click.echo(
        f"mailflow dev: panel on http://{settings.WEB_HOST}:{settings.WEB_PORT}, "
        f"SMTP on {settings.SMTPD_HOST}:{settings.SMTPD_PORT} (Ctrl-C stops)"
    )

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [child.wait() for child in children]
    os._exit(max(codes, default=0) if any(codes) else 0)
