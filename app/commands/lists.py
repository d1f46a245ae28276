"""`mailflow lists ...`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db


@click.group()
def lists() -> None:
    """Manage mailing lists."""


@lists.command("create")
@click.argument("address")
@click.option("--name", default="", help="Display name (defaults to the local part).")
@click.option(
    "--owner",
    "owners",
    multiple=True,
    help="A panel user (see `mailflow users create`) who owns the list and hears of held posts; repeatable.",
)
@with_appcontext
def create_list(address: str, name: str, owners: tuple[str, ...]) -> None:
    """Create a list at ADDRESS (local@domain)."""
    from app.membership.lists import add_owner
    from app.membership.lists import create_list as add_list

    try:
        mlist = add_list(address, name)
        for owner in owners:
            add_owner(mlist, owner)
    except ValueError as exc:
        db.session.rollback()
        raise click.UsageError(str(exc)) from None
    db.session.commit()
    click.echo(f"created list {mlist.address}" + (f" owned by {', '.join(owners)}" if owners else ""))
    if not owners:
        click.echo(
            f"note: {mlist.address} has no owner, so no one hears of held posts; give it one with --owner "
            "or in the panel (Users)",
            err=True,
        )
