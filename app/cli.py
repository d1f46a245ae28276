"""The `mailflow` command: a Flask CLI group over create_app."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from app import create_app
from app.commands import register
from app.config import ConfigError


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"mailflow: configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False, set_debug_flag=False
)
def cli() -> None:
    """MailFlow Relay: a self-hosted mailing-list manager."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    register(cli)
    cli.main(args=argv, prog_name="mailflow")


if __name__ == "__main__":
    main()
