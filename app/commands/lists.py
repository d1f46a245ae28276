"""`mailflow lists ...`: thin doors onto app/lists."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.commands.arguments import key_values, list_or_exit, usage_error
from app.extensions import db
from app.lists.lifecycle import create_list, delete_list, owners_for
from app.lists.lookup import all_lists
from app.lists.settings import SettingsError, list_settings, update_list_settings
from app.lists.staff import grant_role
from app.models import Role
from app.models.audit import CLI


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
def create(address: str, name: str, owners: tuple[str, ...]) -> None:
    """Create a list at ADDRESS (local@domain)."""
    try:
        users = owners_for(owners)
        mlist = create_list(address, name)
    except ValueError as exc:
        db.session.rollback()
        raise click.UsageError(str(exc)) from None
    db.session.commit()
    for user in users:
        grant_role(user, mlist, Role.OWNER, CLI)
    click.echo(
        f"created list {mlist.address}" + (f" owned by {', '.join(u.email for u in users)}" if users else "")
    )
    if not users:
        click.echo(
            f"note: {mlist.address} has no owner, so no one hears of held posts; give it one with "
            f"`mailflow users grant EMAIL {mlist.address} owner`",
            err=True,
        )


@lists.command("list")
@with_appcontext
def list_all() -> None:
    """Print every list's address, one a line."""
    for mlist in all_lists():
        click.echo(mlist.address)


@lists.command("show")
@click.argument("list_address")
@with_appcontext
def show(list_address: str) -> None:
    """Print every setting of LIST as one JSON object (the keys `lists set` takes)."""
    click.echo(json.dumps(list_settings(list_or_exit(list_address)), indent=2, ensure_ascii=False))


@lists.command("set")
@click.argument("list_address")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@with_appcontext
def set_settings(list_address: str, assignments: tuple[str, ...]) -> None:
    """Change settings of LIST; a bad key or value changes nothing (exit status 2)."""
    mlist = list_or_exit(list_address)
    try:
        changed = update_list_settings(mlist, key_values(assignments), CLI)
    except SettingsError as exc:
        usage_error(exc.first)
    click.echo(f"{mlist.address}: changed {', '.join(changed)}" if changed else f"{mlist.address}: no change")


@lists.command("delete")
@click.argument("list_address")
@click.option("--yes", is_flag=True, help="Really delete the list with its members and posts.")
@with_appcontext
def delete(list_address: str, yes: bool) -> None:
    """Delete LIST with its members, posts and roles (needs --yes)."""
    mlist = list_or_exit(list_address)
    if not yes:
        usage_error(f"deleting {mlist.address} removes its members and posts: add --yes")
    click.echo(f"deleted list {delete_list(mlist, CLI)}")
