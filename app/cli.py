"""The `mailflow` command: a Flask CLI group over create_app."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo

from app import create_app
from app.commands import register
from app.commands.preflight import NO_SCHEMA_NEEDED, require_ready
from app.config import ConfigError

DISTRIBUTION = "mailflow-relay"  # the installed distribution; its packages are `app` and `smtpd`
# Sub-commands that serve or show the web side (Flask's own included); every other one builds its app without it.
WEB_COMMANDS = frozenset({"web", "run", "routes", "shell", "limiter"})


def _create_app():
    try:
        name = _invoked_command()
        return create_app(web=name is None or name in WEB_COMMANDS)
    except ConfigError as exc:
        click.echo(f"mailflow: configuration error: {exc}", err=True)
        sys.exit(2)


def _invoked_command() -> str | None:
    """The sub-command this `mailflow` process runs (None when it cannot tell: then the whole app is built)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:
        ctx = ctx.parent
    return ctx.invoked_subcommand if ctx is not None else None


class MailFlowGroup(FlaskGroup):
    """Flask's CLI group, noting whether the sub-command was only asked for its help (no start-up checks)."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["mailflow.help_only"] = any(arg in ("--help", "-h") for arg in rest)
        return name, command, rest


@click.group(
    cls=MailFlowGroup,
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
@click.version_option(package_name=DISTRIBUTION, prog_name="mailflow", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """MailFlow Relay: a self-hosted mailing-list manager."""
    command = ctx.invoked_subcommand
    if (
        command is None
        or command in NO_SCHEMA_NEEDED
        or ctx.resilient_parsing
        or ctx.meta.get("mailflow.help_only")
    ):
        return
    require_ready(ctx.ensure_object(ScriptInfo).load_app(), command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    register(cli)
    cli.main(args=argv, prog_name="mailflow")


if __name__ == "__main__":
    main()
