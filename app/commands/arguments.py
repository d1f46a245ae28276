"""What every CLI door shares: finding the LIST argument, KEY=VALUE arguments, one-line errors (exit 2)."""

from __future__ import annotations

from typing import NoReturn

import click

from app.lists.lookup import find_list
from app.models import MailingList

USAGE = 2  # the exit status of a bad argument, key or value (click's own usage errors use it too)


def usage_error(message: str) -> NoReturn:
    """One line on standard error naming what is wrong, exit status 2."""
    click.echo(f"mailflow: {message}", err=True)
    raise SystemExit(USAGE)


def list_or_exit(address: str) -> MailingList:
    """The list at address, or exit 2 saying there is none."""
    mlist = find_list(address)
    if mlist is None:
        usage_error(f"no list {address}")
    return mlist


def key_values(assignments: tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE arguments as a dict (the value may be empty or contain '='); exit 2 on a malformed one."""
    pairs: dict[str, str] = {}
    for item in assignments:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            usage_error(f"{item!r}: write KEY=VALUE")
        pairs[key.strip()] = value
    return pairs
