"""`mailflow bans ...`: where a person types a ban pattern, validated and previewed before it is saved."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.commands.arguments import list_or_exit, usage_error
from app.extensions import db
from app.models import Ban
from app.moderation.bans import InvalidPattern, add_typed_ban, preview

SITE_WIDE = "\t(site-wide)"


@click.group()
def bans() -> None:
    """Ban addresses (or ^regular expressions) from posting to and joining a list."""


@bans.command("list")
@click.argument("list_address")
@with_appcontext
def list_bans(list_address: str) -> None:
    """One ban a line: its kind (address or regex), then the pattern; site-wide bans are marked."""
    mlist = list_or_exit(list_address)
    rows = db.session.scalars(
        select(Ban).where((Ban.list_id == mlist.id) | Ban.list_id.is_(None)).order_by(Ban.id)
    )
    for ban in rows:
        scope = "" if ban.list_id else SITE_WIDE
        click.echo(f"{ban.kind}\t{ban.pattern}{scope}")


@bans.command("add")
@click.argument("list_address")
@click.argument("pattern")
@click.option("--dry-run", is_flag=True, help="Only show what the pattern matches.")
@with_appcontext
def add(list_address: str, pattern: str, dry_run: bool) -> None:
    """Ban PATTERN from LIST: an address, or a regular expression starting with ^ (previewed first)."""
    mlist = list_or_exit(list_address)
    try:
        found = preview(mlist, pattern)
    except InvalidPattern as exc:
        usage_error(f"pattern {pattern!r}: {exc}")
    click.echo(f"{pattern.strip()} {found.summary()}")
    if dry_run:
        return
    ban = add_typed_ban(mlist, pattern)
    click.echo(f"banned ({ban.kind}) {ban.pattern} from {mlist.address}")
