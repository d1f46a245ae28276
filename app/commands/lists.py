"""`mailflow lists ...`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.emailaddr import InvalidAddress, normalise_address
from app.extensions import db
from app.ingress.addresses import SUFFIXES
from app.models import MailingList


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
        normalised = normalise_address(address)
    except InvalidAddress as exc:
        raise click.UsageError(str(exc)) from None
    local, _, domain = normalised.rpartition("@")
    if "+" in local or local.rpartition("-")[2] in SUFFIXES:
        raise click.UsageError(f"{normalised}: a list's local part may not contain '+' or end in a role suffix")
    if db.session.scalar(select(MailingList).where(MailingList.local_part == local, MailingList.domain == domain)):
        raise click.UsageError(f"the list {normalised} already exists")
    db.session.add(MailingList(local_part=local, domain=domain, display_name=name or local))
    db.session.commit()
    click.echo(f"created list {normalised}")
