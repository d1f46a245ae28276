"""`mailflow members ...`"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.bounces.reenable import CannotReenable, reenable
from app.commands.arguments import key_values, list_or_exit, usage_error
from app.lists.registry import SettingsError
from app.mail.addresses import InvalidAddress
from app.membership.bulk_add import AddMode, add_by_mode
from app.membership.export import csv_chunks
from app.membership.importer import import_csv
from app.membership.lines import Entry, count_rows, parse_line
from app.membership.members import (
    find_member,
    list_members,
    remove_members,
    update_member,
)
from app.membership.reenable import EnableRefused, enable_members
from app.models import Member, MemberStatus
from app.models.audit import CLI
from app.moderation.bans import banned_by


@click.group()
def members() -> None:
    """Manage list members."""


@members.command("add")
@click.argument("list_address")
@click.argument("emails", nargs=-1, required=True)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in AddMode]),
    default=AddMode.SILENT.value,
    show_default=True,
    help="silent: members at once; welcome: and mail the list's welcome; invite: mail an invitation "
    "(only those who confirm become members).",
)
@with_appcontext
def add(list_address: str, emails: tuple[str, ...], mode: str) -> None:
    """Add active members to LIST (or invite them); invalid addresses are reported and skipped (exit 1)."""
    mlist = list_or_exit(list_address)
    valid: list[Entry] = []
    invalid = []
    for text in emails:
        try:
            valid.append(parse_line(text))
        except InvalidAddress as exc:
            invalid.append(str(exc))
    added, existing = add_by_mode(mlist, valid, AddMode(mode))
    verb = "invited" if mode == AddMode.INVITE else "added"
    click.echo(f"{mlist.address}: {added} {verb}, {existing} already members, {len(invalid)} invalid")
    for problem in invalid:
        click.echo(f"invalid address {problem}", err=True)
    _warn_banned(mlist.id, valid)
    if invalid:
        raise SystemExit(1)


def _warn_banned(list_id: int, entries: list[Entry]) -> None:
    """An owner may add a banned address, but is told: it still may not post."""
    for entry in entries:
        ban = banned_by(list_id, entry.email)
        if ban:
            click.echo(f"warning: {entry.email} is banned from the list ({ban}); it may not post", err=True)


@members.command("import")
@click.argument("list_address")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_file(list_address: str, csv_file: Path) -> None:
    """Import members from a CSV file (email[,name], or a header row naming `email` and `name`)."""
    mlist = list_or_exit(list_address)
    data = csv_file.read_bytes()
    with click.progressbar(
        length=count_rows(data), label=f"importing into {mlist.address}", file=sys.stderr
    ) as bar:
        seen = [0]

        def advance(counts) -> None:
            bar.update(counts.processed - seen[0])
            seen[0] = counts.processed

        counts = import_csv(mlist.id, data, advance)
    click.echo(
        f"{mlist.address}: {counts.added} added, {counts.existing} already members, {counts.invalid} invalid"
    )
    for bad in counts.bad:
        click.echo(f"line {bad.number}: {bad.error}", err=True)
    if counts.invalid:
        raise SystemExit(1)


@members.command("export")
@click.argument("list_address")
@with_appcontext
def export(list_address: str) -> None:
    """Write LIST's members as CSV to standard output (formula-leading cells quoted for spreadsheets)."""
    mlist = list_or_exit(list_address)
    for chunk in csv_chunks(mlist.id):
        sys.stdout.write(chunk)


@members.command("list")
@click.argument("list_address")
@click.option(
    "--status", type=click.Choice([s.value for s in MemberStatus]), help="Only members with this status."
)
@with_appcontext
def list_roster(list_address: str, status: str | None) -> None:
    """Print LIST's members, one a line: address, status, name."""
    mlist = list_or_exit(list_address)
    for member in list_members(mlist, MemberStatus(status) if status else None):
        click.echo(f"{member.email} {member.status} {member.name}".rstrip())


@members.command("set")
@click.argument("list_address")
@click.argument("email")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@with_appcontext
def set_options(list_address: str, email: str, assignments: tuple[str, ...]) -> None:
    """Change a member's name, status, moderation (default|accept|hold|reject|discard), ...; exit 2 on a bad one."""
    mlist = list_or_exit(list_address)
    member = find_member(mlist, email)
    if member is None:
        usage_error(f"{email} is not a member of {mlist.address}")
    try:
        changed = update_member(member, key_values(assignments), CLI)
    except SettingsError as exc:
        usage_error(exc.first)
    click.echo(f"{member.email}: changed {', '.join(changed)}" if changed else f"{member.email}: no change")


@members.command("remove")
@click.argument("list_address")
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def remove(list_address: str, emails: tuple[str, ...]) -> None:
    """Remove members from LIST; addresses that are not members are reported (exit status 1)."""
    mlist = list_or_exit(list_address)
    found: list[Member] = []
    missing: list[str] = []
    for email in emails:
        member = find_member(mlist, email)
        if member is None:
            missing.append(email)
        else:
            found.append(member)
    removed = remove_members(mlist, found, CLI)
    click.echo(f"{mlist.address}: {removed} removed, {len(missing)} not members")
    for email in missing:
        click.echo(f"not a member: {email}", err=True)
    if missing:
        raise SystemExit(1)


@members.command("enable")
@click.argument("list_address")
@click.argument("emails", nargs=-1)
@click.option(
    "--reason", default="", help="Instead of EMAILs: every member disabled for this reason (bounces)."
)
@with_appcontext
def enable(list_address: str, emails: tuple[str, ...], reason: str) -> None:
    """Re-enable disabled members of LIST (bounce score back to 0): the EMAILs named, or with --reason bounces
    all of those disabled for bounces (to undo a wave, e.g. after a relay fault); exit 1 if one could not be."""
    mlist = list_or_exit(list_address)
    if bool(emails) == bool(reason):
        usage_error("name the members to re-enable, or give --reason bounces (not both)")
    if reason:
        _enable_for_reason(mlist, reason)
        return

    failed = False
    for email in emails:
        member = find_member(mlist, email)
        try:
            if member is None:
                raise CannotReenable(f"{email} is not a member of {mlist.address}.")
            reenable(member, by_owner=True)
            click.echo(f"re-enabled {member.email}")
        except CannotReenable as exc:
            click.echo(str(exc), err=True)
            failed = True
    sys.exit(1 if failed else 0)


def _enable_for_reason(mlist, reason: str) -> None:
    try:
        count = enable_members(mlist, reason, CLI)
    except EnableRefused as exc:
        usage_error(str(exc))
    click.echo(f"{mlist.address}: {count} members disabled for {reason} are active again")
