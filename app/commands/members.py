"""`mailflow members ...`"""

from __future__ import annotations

import csv
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.emailaddr import InvalidAddress, normalise_address
from app.extensions import db
from app.membership import add_members, find_list
from app.models import Member


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


EXPORT_COLUMNS = ("email", "name", "status", "reason", "bounce_score")


@members.command("export")
@click.argument("list_address")
@with_appcontext
def export(list_address: str) -> None:
    """Write LIST's members as CSV to standard output: email, name, status, reason, bounce score."""
    mlist = find_list(list_address)
    if mlist is None:
        raise click.UsageError(f"no list {list_address}")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(EXPORT_COLUMNS)
    rows = db.session.scalars(select(Member).where(Member.list_id == mlist.id).order_by(Member.email))
    for m in rows:
        out.writerow((_cell(m.email), _cell(m.name), m.status, m.disabled_reason, f"{m.bounce_score:g}"))


def _cell(text: str) -> str:
    """A spreadsheet must not run a member's name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
