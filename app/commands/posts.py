"""`mailflow posts ...`: the post log and moderation, on the same services as the panel."""

from __future__ import annotations

import json
from collections.abc import Callable

import click
from flask.cli import with_appcontext

from app.commands.arguments import list_or_exit, usage_error
from app.extensions import db
from app.jobs.queues import drain_local_jobs
from app.models import Post, PostStatus
from app.models.audit import CLI
from app.moderation import actions
from app.moderation.expiry import expire_held
from app.pipeline.retry import RetryRefused, retry_post
from app.posts.log import find_posts, one_line_subject, post_summary

DEFAULT_LIMIT = 200


@click.group()
def posts() -> None:
    """The post log and moderation: list, show, approve, reject, discard, retry, expire."""


@posts.result_callback()
def finish_jobs(*_: object, **__: object) -> None:
    """Without Redis, jobs run in this process: let an approved or retried post go out before exiting."""
    drain_local_jobs()


@posts.command("list")
@click.argument("list_address", required=False)
@click.option(
    "--status", type=click.Choice([s.value for s in PostStatus]), help="Only posts with this status."
)
@click.option(
    "--limit", default=DEFAULT_LIMIT, show_default=True, help="At most this many, newest first (0: all)."
)
@with_appcontext
def list_posts(list_address: str | None, status: str | None, limit: int) -> None:
    """Print posts, one a line: id, status, list, subject."""
    mlist = list_or_exit(list_address) if list_address else None
    for post in find_posts(mlist, PostStatus(status) if status else None, limit=limit):
        click.echo(f"{post.id} {post.status} {post.mailing_list.address} {one_line_subject(post)}")


def _post_or_exit(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        usage_error(f"no post {post_id}")
    return post


@posts.command("show")
@click.argument("post_id", type=int)
@with_appcontext
def show(post_id: int) -> None:
    """Print one post as a JSON object: status, reasons, rule trace, delivery outcome counts."""
    click.echo(json.dumps(post_summary(_post_or_exit(post_id)), indent=2, ensure_ascii=False))


def _decide(post_id: int, act: Callable[[Post], str]) -> None:
    """Carry out a moderator's decision; a post that is not held is reported (exit status 1)."""
    post = _post_or_exit(post_id)
    try:
        click.echo(act(post))
    except actions.NotHeld as exc:
        click.echo(f"mailflow: {exc}", err=True)
        raise SystemExit(1) from None


REASON = click.option("--reason", default="", help="Why (a reject's reason is mailed to the sender).")


@posts.command("approve")
@click.argument("post_id", type=int)
@REASON
@with_appcontext
def approve(post_id: int, reason: str) -> None:
    """Approve the held post POST_ID: it goes through the pipeline again and out to the list."""

    def act(post: Post) -> str:
        queued = actions.approve(post, CLI, note=reason)
        return f"approved post {post.id}" + ("" if queued else " (it is queued when Redis is back)")

    _decide(post_id, act)


@posts.command("reject")
@click.argument("post_id", type=int)
@REASON
@with_appcontext
def reject(post_id: int, reason: str) -> None:
    """Reject the held post POST_ID; the sender is told the reason (a canned name like off-topic, or text)."""

    def act(post: Post) -> str:
        told = actions.reject(post, CLI, reason)
        return f"rejected post {post.id}; " + ("the sender was told why" if told else "no notice sent")

    _decide(post_id, act)


@posts.command("discard")
@click.argument("post_id", type=int)
@REASON
@with_appcontext
def discard(post_id: int, reason: str) -> None:
    """Discard the held post POST_ID without telling the sender."""

    def act(post: Post) -> str:
        actions.discard(post, CLI, note=reason)
        return f"discarded post {post.id}"

    _decide(post_id, act)


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
