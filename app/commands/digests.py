"""`mailflow digests ...`: send what is pending now, on the same service the scheduler uses."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.commands.arguments import list_or_exit
from app.digests.schedule import send_pending
from app.jobs.queues import drain_local_jobs


@click.group()
def digests() -> None:
    """List digests: send the pending ones now."""


@digests.command("send")
@click.argument("list_address", required=False)
@with_appcontext
def send(list_address: str | None) -> None:
    """Send every pending digest (of LIST, or of every list) now, whatever the frequency; one line each."""
    mlist = list_or_exit(list_address) if list_address else None
    reports = send_pending(mlist)
    for report in reports:
        click.echo(report.line())
    if not reports:
        click.echo(f"no digest: nothing new{' on ' + mlist.address if mlist else ''} since the last issue")
    drain_local_jobs()  # without Redis the digests go out from this process
