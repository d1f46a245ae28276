"""The `mailflow` sub-commands, one module per area."""

import click


def register(cli: click.Group) -> None:
    """Attach every sub-command group to the CLI."""
    from app.commands.archive import archive
    from app.commands.aws import aws
    from app.commands.bans import bans
    from app.commands.imports import import_group
    from app.commands.lists import lists
    from app.commands.members import members
    from app.commands.posts import posts
    from app.commands.purge import purge
    from app.commands.services import dev, imap, smtpd, web, worker
    from app.commands.status import status
    from app.commands.users import users
    from app.commands.webhooks import webhooks

    for command in (
        users,
        lists,
        members,
        posts,
        bans,
        smtpd,
        imap,
        worker,
        web,
        dev,
        aws,
        import_group,
        archive,
        status,
        purge,
        webhooks,
    ):
        cli.add_command(command)
