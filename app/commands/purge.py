"""`mailflow purge`: retention for delivery rows and the bytes of old posts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.posts.retention import count, purge_by_list_settings
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
@click.option(
    "--bounces-older-than",
    "bounce_days",
    type=click.IntRange(min=1),
    help="Days (the notification bytes of bounces; kind and diagnostic stay).",
)
@click.option(
    "--by-list-settings",
    is_flag=True,
    help="Apply each list's raw_retention_days (the reconciler also does this hourly).",
)
@click.option("--dry-run", is_flag=True, help="Only say how much would go.")
@with_appcontext
def purge(
    deliveries_days: int | None,
    raw_days: int | None,
    bounce_days: int | None,
    by_list_settings: bool,
    dry_run: bool,
) -> None:
    """Delete settled delivery rows and drop the raw bytes of settled posts older than the given days.

    Held, shunted and in-flight posts and copies still pending are never touched. A post keeps its row,
    subject and outcome (the panel's post log); its message bytes are gone for good.
    """
    if by_list_settings and not dry_run:
        by_list = purge_by_list_settings()
        click.echo(
            f"list settings: purged the bytes of {by_list.raw_posts} posts and {by_list.raw_bounces} bounces"
        )
    elif not (deliveries_days or raw_days or bounce_days):
        raise click.UsageError(
            "give --deliveries-older-than, --raw-older-than and/or --bounces-older-than DAYS, "
            "or --by-list-settings"
        )
    if not (deliveries_days or raw_days or bounce_days):
        return
    ages = (deliveries_days, raw_days, bounce_days)
    result = count(*ages) if dry_run else run_purge(*ages)
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb} {result.deliveries} delivery rows and the bytes of {result.raw_posts} posts"
        + (f" and {result.raw_bounces} bounces" if bounce_days else "")
    )
