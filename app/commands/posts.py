"""`mailflow posts ...`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.moderation.expiry import expire_held
from app.pipeline.retry import RetryRefused, retry_post


@click.group()
def posts() -> None:
    """Look after posts: retry shunted ones, expire old held ones."""


@posts.command("retry")
@click.argument("post_id", type=int)
@with_appcontext
def retry(post_id: int) -> None:
    """Put the shunted post POST_ID back in the pipeline."""
    try:
        status, queued = retry_post(post_id)
    except RetryRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"post {post_id} is {status} again and "
        + ("queued" if queued else "will be queued when Redis is back")
    )


@posts.command("expire")
@with_appcontext
def expire() -> None:
    """Discard held posts older than their list's hold_days."""
    click.echo(f"discarded {expire_held()} expired held posts")
