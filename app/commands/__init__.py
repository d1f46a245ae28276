"""The `mailflow` sub-commands, one module per area."""

import click

# Modules, not their groups: `from app.commands.lists import lists` would hide the module app.commands.lists.
from app.commands import (
    archive,
    aws,
    bans,
    digests,
    imports,
    lists,
    members,
    people,
    posts,
    purge,
    services,
    status,
    users,
    webhooks,
)

COMMANDS = (
    users.users,
    lists.lists,
    members.members,
    posts.posts,
    digests.digests,
    bans.bans,
    services.smtpd,
    services.imap,
    services.worker,
    services.web,
    services.dev,
    aws.aws,
    imports.import_group,
    archive.archive,
    status.status,
    purge.purge,
    webhooks.webhooks,
    people.people,
)


def register(cli: click.Group) -> None:
    """Attach every sub-command group to the CLI."""
    for command in COMMANDS:
        cli.add_command(command)
