"""`mailflow archive ...`: import an mbox, rebuild a list's archive."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import with_appcontext

from app.archive.importer import import_mbox
from app.archive.rebuild import rebuild
from app.lists.lookup import find_list


@click.group()
def archive() -> None:
    """The list archive."""


def _list(address: str):
    mlist = find_list(address)
    if mlist is None:
        click.echo(f"mailflow: no list {address}", err=True)
        sys.exit(2)
    return mlist


@archive.command("import")
@click.argument("list_address")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(list_address: str, path: str) -> None:
    """Import FILE.mbox (mboxrd or mboxo, e.g. Mailman 2 pipermail) into LIST's archive."""
    import_archive_file(_list(list_address), path)


def import_archive_file(mlist, path: str) -> None:
    """Import an mbox file into the list's archive with a progress bar; report skipped messages."""
    with (
        open(path, "rb") as stream,
        click.progressbar(length=os.path.getsize(path), label="importing", file=sys.stderr) as bar,
    ):
        report = import_mbox(mlist, stream, progress=bar.update)
    for number, reason in report.bad:
        click.echo(f"message {number}: skipped, {reason}", err=True)
    click.echo(
        f"imported {report.imported}, skipped {report.duplicates} already archived, "
        f"{len(report.bad)} unreadable; {report.threads_changed} thread links changed"
    )


@archive.command("rebuild")
@click.argument("list_address")
@with_appcontext
def rebuild_command(list_address: str) -> None:
    """Recompute LIST's archive (subjects, dates, threads, search) from the stored messages."""
    report = rebuild(_list(list_address))
    click.echo(
        f"{report.messages} messages, {report.changed} changed, {report.posts_archived} missing posts archived, "
        f"{report.threads_changed} thread links changed"
    )
