"""`mailflow import ...`: bring lists in from Mailman 2.1 (config.pck) or a running Mailman 3 (REST API)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.accounts.invitations import invitation_url
from app.commands.archive import import_archive_file
from app.lists.lookup import find_list
from app.lists.staff import find_user
from app.mail.addresses import InvalidAddress, normalise_address
from app.migration.apply import ImportRefused, apply_plan
from app.migration.mailman2 import map_config
from app.migration.mailman3 import fetch_list, list_ids, map_list
from app.migration.mm2_pickle import ConfigUnreadable, load_config
from app.migration.mm3_rest import Mailman3Client, Mailman3Unavailable


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

    if archive is not None and not archive.is_file():
        _fail(f"--archive: no file {archive}")
    try:
        address = normalise_address(list_address)
        plan = map_config(load_config(config_file), address)
        result = apply_plan(plan, dry_run=dry_run)
    except (InvalidAddress, ConfigUnreadable, ImportRefused) as exc:
        _fail(str(exc))
    _print_result(plan, result, dry_run)
    _archive(plan.address, archive, dry_run)


def _archive(address: str, archive: Path | None, dry_run: bool) -> None:
    """The list's history from an mbox (pipermail's LIST.mbox, HyperKitty's export) after the list itself."""
    if archive is None:
        return
    if dry_run:
        click.echo(f"dry run: the archive {archive} was not read")
        return
    import_archive_file(find_list(address), str(archive))


@import_group.command("mailman3")
@click.argument("addresses", nargs=-1)
@click.option("--url", required=True, help="Mailman 3 core's REST API, e.g. http://127.0.0.1:8001/3.1/")
@click.option("--user", required=True, help="The REST admin user (Mailman's [webservice] admin_user).")
@click.option("--password", required=True, envvar="MAILMAN3_REST_PASSWORD", help="Or MAILMAN3_REST_PASSWORD.")
@click.option("--dry-run", is_flag=True, help="Say what would change and what does not map; write nothing.")
@click.option(
    "--archive",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HyperKitty's mbox export (one list only).",
)
@with_appcontext
def mailman3(
    addresses: tuple[str, ...], url: str, user: str, password: str, dry_run: bool, archive: Path | None
) -> None:
    """Import LISTs (all lists when none is named) from a running Mailman 3 core, each whole or not at all."""
    if archive is not None and (len(addresses) != 1 or not archive.is_file()):
        _fail("--archive takes an existing mbox file and exactly one LIST")

    client = Mailman3Client(url, user, password)
    try:
        targets = list_ids(client, list(addresses))
    except (Mailman3Unavailable, LookupError) as exc:
        _fail(str(exc))
    failed = [address for list_id, address in targets if not _import_one(client, list_id, address, dry_run)]
    if archive is not None and not failed:
        _archive(targets[0][1].lower(), archive, dry_run)
    click.echo(
        f"{len(targets) - len(failed)} of {len(targets)} lists imported ({client.requests} REST requests)"
    )
    if failed:
        _fail(f"not imported (nothing of them was written): {', '.join(failed)}")


def _import_one(client, list_id: str, address: str, dry_run: bool) -> bool:
    """Fetch, map and write one Mailman 3 list; False (with one line on stderr) when it failed."""

    try:
        plan = map_list(fetch_list(client, list_id, address))
        result = apply_plan(plan, dry_run=dry_run)
    except (Mailman3Unavailable, ImportRefused, InvalidAddress) as exc:
        click.echo(f"mailflow import: {address}: {exc}", err=True)
        return False
    _print_result(plan, result, dry_run)
    return True


def _print_result(plan, result, dry_run: bool) -> None:
    """The summary line, the accounts to activate and the report."""
    prefix = "dry run, nothing written: would have " if dry_run else ""
    click.echo(f"{plan.address}: {prefix}{result.summary()}")
    for email in result.users_created:
        user = None if dry_run else find_user(email)
        link = f": send them {invitation_url(user)}" if user is not None else ""
        click.echo(f"new panel user {email}, inactive until they choose a password{link}")
    if plan.report:
        click.echo("not carried over as it was:")
        for line in plan.report:
            click.echo(f"  - {line}")


def _fail(message: str) -> None:
    """One line on standard error, exit status 1."""
    click.echo(f"mailflow import: {message}", err=True)
    sys.exit(1)
