"""`mailflow members ...`"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.export import csv_chunks
from app.membership.members import add_members, find_list


@click.group()
def members() -> None:
    """Manage list members."""


@members.command("add")
@click.argument("list_address")
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def add(list_address: str, emails: tuple[str, ...]) -> None:
    """Add active members to LIST; invalid addresses are reported and skipped (exit status 1)."""
    mlist = find_list(list_address)
    if mlist is None:
        raise click.UsageError(f"no list {list_address}")
    valid, invalid = [], []
    for text in emails:
        try:
            valid.append(normalise_address(text))
        except InvalidAddress as exc:
            invalid.append(str(exc))
    added, existing = add_members(mlist, valid)
    click.echo(f"{mlist.address}: {added} added, {existing} already members, {len(invalid)} invalid")
    for problem in invalid:
        click.echo(f"invalid address {problem}", err=True)
    if invalid:
        raise SystemExit(1)


@members.command("import")
@click.argument("list_address")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_file(list_address: str, csv_file: Path) -> None:
    """Import members from a CSV file (email[,name], or a header row naming `email` and `name`)."""
    from app.membership.importer import import_csv
    from app.membership.lines import count_rows

    mlist = find_list(list_address)
    if mlist is None:
        raise click.UsageError(f"no list {list_address}")
    data = csv_file.read_bytes()
    with click.progressbar(
        length=count_rows(data), label=f"importing into {mlist.address}", file=sys.stderr
    ) as bar:
        seen = [0]

        def advance(counts) -> None:
            bar.update(counts.processed - seen[0])
            seen[0] = counts.processed

        counts = import_csv(mlist.id, data, advance)
    click.echo(
        f"{mlist.address}: {counts.added} added, {counts.existing} already members, {counts.invalid} invalid"
    )
    for bad in counts.bad:
        click.echo(f"line {bad.number}: {bad.error}", err=True)
    if counts.invalid:
        raise SystemExit(1)


@members.command("export")
@click.argument("list_address")
@with_appcontext
def export(list_address: str) -> None:
    """Write LIST's members as CSV to standard output (formula-leading cells quoted for spreadsheets)."""
    mlist = find_list(list_address)
    if mlist is None:
        raise click.UsageError(f"no list {list_address}")
    for chunk in csv_chunks(mlist.id):
        sys.stdout.write(chunk)
