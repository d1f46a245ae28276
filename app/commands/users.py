"""`mailflow users ...`"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.models import User


@click.group()
def users() -> None:
    """Manage panel accounts."""


@users.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the user a site administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a panel user (or update the password and role of an existing one)."""
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        raise click.UsageError(str(exc)) from None
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    if len(password) < 8:
        raise click.UsageError("the password must have at least 8 characters")
    user = db.session.scalar(select(User).where(User.email == address))
    created = user is None
    if user is None:
        user = User(email=address)
        db.session.add(user)
    if user.awaiting_first_password:
        user.active = True  # an imported owner or moderator starts working once a password is set
    user.set_password(password)
    user.is_admin = user.is_admin or admin
    db.session.commit()
    click.echo(
        f"{'created' if created else 'updated'} user {address}{' (site admin)' if user.is_admin else ''}"
    )
