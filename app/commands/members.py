"""`mailflow members ...`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.emailaddr import InvalidAddress, normalise_address
from app.membership import add_members, find_list


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
