"""`mailflow lists ...`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.membership.lists import create_list as add_list


@click.group()
def lists() -> None:
    """Manage mailing lists."""


@lists.command("create")
@click.argument("address")
@click.option("--name", default="", help="Display name (defaults to the local part).")
@with_appcontext
def create_list(address: str, name: str) -> None:
    """Create a list at ADDRESS (local@domain)."""
    try:
        mlist = add_list(address, name)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    db.session.commit()
    click.echo(f"created list {mlist.address}")
