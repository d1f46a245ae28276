"""`mailflow people export ADDRESS` and `mailflow people erase ADDRESS`: a person's data (admins only)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from flask.cli import with_appcontext

from app.commands.arguments import usage_error
from app.mail.addresses import InvalidAddress, normalise_address
from app.models.audit import CLI
from app.people.erase import erase_person
from app.people.export import export_person


@click.group()
def people() -> None:
    """Everything stored about one address: export it, or erase it."""


def _address(text: str) -> str:
    try:
        return normalise_address(text)
    except InvalidAddress as exc:
        usage_error(f"not an address: {exc}")


@people.command("export")
@click.argument("address")
@with_appcontext
def export(address: str) -> None:
    """Print everything stored about ADDRESS as one JSON object."""
    click.echo(json.dumps(export_person(_address(address)), indent=2, ensure_ascii=False, default=str))


@people.command("erase")
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase(address: str, yes: bool) -> None:
    """Remove ADDRESS's memberships, copies, bounces, notice counters and pending mail; redact it elsewhere."""
    email = _address(address)
    if not yes:
        click.confirm(f"Erase everything stored about {email}? This cannot be undone", abort=True)
    click.echo(json.dumps(asdict(erase_person(email, CLI))))
