"""`mailflow status`: queues, copies, posts, workers and relay faults; exit 1 when something needs a person."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from app.commands.preflight import NotReady, check_database
from app.jobs.status import collect
from app.models.timestamps import utcnow


def _age(when: datetime | None) -> str:
    if when is None:
        return "-"
    seconds = int((utcnow() - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


@click.command()
@with_appcontext
def status() -> None:
    """Show what MailFlow is doing; exit status 1 when something needs a person."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        check_database(app)
    except NotReady as exc:
        click.echo(f"database: {exc}")
        sys.exit(1)
    report = collect(app.config["MAILFLOW"].REDIS_URL)
    c = report.copies
    click.echo(
        f"copies: {c.pending} pending, {c.retrying} retrying, {c.sending} sending, {c.failed_24h} failed (24 h); "
        f"oldest pending {_age(c.oldest_pending)}"
    )
    click.echo(f"posts: {report.held} held, {report.shunted} shunted")
    click.echo(f"redis: {report.redis}")
    for q in report.queues:
        click.echo(f"queue {q.name}: {q.waiting} waiting, {q.scheduled} scheduled, {q.failed} failed jobs")
    for w in report.workers:
        click.echo(f"worker {w.name}: {w.state}, last heartbeat {_age(w.last_heartbeat)}")
    if report.redis == "reachable" and not report.workers:
        click.echo("workers: none running")
    for fault in report.relay_faults:
        click.echo(f"relay fault: {fault}")
    for line in report.attention:
        click.echo(f"NEEDS ATTENTION: {line}")
    if report.attention:
        sys.exit(1)
    click.echo("ok")
