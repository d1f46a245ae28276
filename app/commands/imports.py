"""`mailflow import ...`: bring a list in from Mailman 2.1 (Mailman 3 is not built yet and says so)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.mail.addresses import InvalidAddress, normalise_address


@click.group("import")
def import_group() -> None:
    """Import lists from another list manager."""


@import_group.command("mailman2")
@click.argument("list_address")
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change and what does not map; write nothing.")
@click.option("--archive", type=click.Path(dir_okay=False, path_type=Path), help="The list's mbox archive.")
@with_appcontext
def mailman2(list_address: str, config_file: Path, dry_run: bool, archive: Path | None) -> None:
    """Import a Mailman 2.1 list from its config.pck into LIST (created when absent)."""
    from app.migration.apply import ImportRefused, apply_plan
    from app.migration.mailman2 import map_config
    from app.migration.mm2_pickle import ConfigUnreadable, load_config

    if archive is not None:
        _fail("--archive: importing the archive is not available in this version (no list archive yet)")
    try:
        address = normalise_address(list_address)
        plan = map_config(load_config(config_file), address)
        result = apply_plan(plan, dry_run=dry_run)
    except (InvalidAddress, ConfigUnreadable, ImportRefused) as exc:
        _fail(str(exc))
    prefix = "dry run, nothing written: would have " if dry_run else ""
    click.echo(f"{address}: {prefix}{result.summary()}")
    for email in result.users_created:
        click.echo(f"new inactive panel user {email}: activate with `mailflow users create {email}`")
    if plan.report:
        click.echo("not carried over as it was:")
        for line in plan.report:
            click.echo(f"  - {line}")


def _fail(message: str) -> None:
    """One line on standard error, exit status 1."""
    click.echo(f"mailflow import: {message}", err=True)
    sys.exit(1)
