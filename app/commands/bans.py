"""`mailflow bans ...`: a list's bans and always-allowed senders (or the site-wide bans), the Senders tab's door.

LIST is a list address, or `site` for the bans that apply to every list. `--allowed` works on the list's
always-allowed senders instead of its bans. A typed pattern is validated and previewed before it is saved.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.commands.arguments import list_or_exit, usage_error
from app.models import MailingList
from app.models.audit import CLI
from app.moderation import senders as svc
from app.moderation.bans import InvalidPattern, preview

SITE = "site"
SITE_WIDE = "\t(site-wide)"
allowed_option = click.option("--allowed", is_flag=True, help="The always-allowed senders, not the bans.")


def _scope(list_address: str) -> MailingList | None:
    return None if list_address == SITE else list_or_exit(list_address)


def _which(allowed: bool, mlist: MailingList | None) -> svc.SenderList:
    if allowed and mlist is None:
        usage_error("always-allowed senders belong to one list; only bans are site-wide")
    return svc.SenderList.ALLOWED if allowed else svc.SenderList.BANNED


@click.group()
def bans() -> None:
    """Ban addresses (or ^regular expressions) from posting to and joining a list, or always allow them."""


@bans.command("list")
@click.argument("list_address")
@allowed_option
@with_appcontext
def list_bans(list_address: str, allowed: bool) -> None:
    """One entry a line: its kind (address or regex), then the pattern; site-wide bans are marked."""
    mlist = _scope(list_address)
    which = _which(allowed, mlist)
    for entry in svc.entries(which, mlist):
        click.echo(f"{entry.kind}\t{entry.pattern}")
    if mlist is not None and which is svc.SenderList.BANNED:
        for entry in svc.entries(which, None):
            click.echo(f"{entry.kind}\t{entry.pattern}{SITE_WIDE}")


@bans.command("add")
@click.argument("list_address")
@click.argument("pattern")
@allowed_option
@click.option("--dry-run", is_flag=True, help="Only show what the pattern matches.")
@with_appcontext
def add(list_address: str, pattern: str, allowed: bool, dry_run: bool) -> None:
    """Add PATTERN to LIST (or `site`): an address, or a regular expression starting with ^ (previewed first)."""
    mlist = _scope(list_address)
    which = _which(allowed, mlist)
    try:
        click.echo(f"{pattern.strip()} {preview(mlist, pattern).summary()}")
        if dry_run:
            return
        entry = svc.add(which, mlist, pattern, CLI)
    except InvalidPattern as exc:
        usage_error(f"pattern {pattern!r}: {exc}")
    verb = "allowed" if which is svc.SenderList.ALLOWED else "banned"
    click.echo(f"{verb} ({entry.kind}) {entry.pattern} {'on' if mlist else 'from'} {list_address}")


@bans.command("remove")
@click.argument("list_address")
@click.argument("pattern")
@allowed_option
@with_appcontext
def remove(list_address: str, pattern: str, allowed: bool) -> None:
    """Remove the entry whose pattern is exactly PATTERN (addresses compared case-insensitively)."""
    mlist = _scope(list_address)
    which = _which(allowed, mlist)
    wanted = pattern.strip().lower()
    found = [e for e in svc.entries(which, mlist) if e.pattern.lower() == wanted]
    if not found:
        usage_error(f"{pattern!r} is not among the {which} senders of {list_address}")
    svc.remove(which, mlist, found[0].id, CLI)
    click.echo(f"removed {found[0].pattern}")


@bans.command("import")
@click.argument("list_address")
@click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"))
@allowed_option
@with_appcontext
def import_entries(list_address: str, source, allowed: bool) -> None:
    """Add one address or ^pattern a line from SOURCE (a file, or - for standard input); bad lines are listed."""
    mlist = _scope(list_address)
    report = svc.import_lines(_which(allowed, mlist), mlist, source.read(), CLI)
    for number, problem in report.problems:
        click.echo(f"line {number}: {problem}", err=True)
    click.echo(report.summary())


@bans.command("export")
@click.argument("list_address")
@allowed_option
@click.option(
    "--csv", "as_csv", is_flag=True, help="CSV with pattern,kind,added instead of one pattern a line."
)
@with_appcontext
def export(list_address: str, allowed: bool, as_csv: bool) -> None:
    """Print the entries: one pattern a line (what `bans import` reads), or CSV."""
    mlist = _scope(list_address)
    render = svc.export_csv if as_csv else svc.export_text
    sys.stdout.write(render(_which(allowed, mlist), mlist))
