"""`mailflow purge`: retention for delivery rows and the bytes of old posts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.posts.retention import count
from app.posts.retention import purge as run_purge


@click.command()
@click.option(
    "--deliveries-older-than",
    "deliveries_days",
    type=click.IntRange(min=1),
    help="Days (sent, failed, bounced copies).",
)
@click.option(
    "--raw-older-than", "raw_days", type=click.IntRange(min=1), help="Days (bytes of settled posts)."
)
@click.option("--dry-run", is_flag=True, help="Only say how much would go.")
@with_appcontext
def purge(deliveries_days: int | None, raw_days: int | None, dry_run: bool) -> None:
    """Delete settled delivery rows and drop the raw bytes of settled posts older than the given days.

    Held, shunted and in-flight posts and copies still pending are never touched. A post keeps its row,
    subject and outcome (the panel's post log); its message bytes are gone for good.
    """
    if not deliveries_days and not raw_days:
        raise click.UsageError("give --deliveries-older-than DAYS and/or --raw-older-than DAYS")
    result = count(deliveries_days, raw_days) if dry_run else run_purge(deliveries_days, raw_days)
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {result.deliveries} delivery rows and the bytes of {result.raw_posts} posts")
