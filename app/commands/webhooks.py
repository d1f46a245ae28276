"""`mailflow webhooks add|list|remove|test`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.commands.arguments import list_or_exit, usage_error
from app.extensions import db
from app.models import Webhook
from app.models.audit import CLI
from app.webhooks.events import list_address
from app.webhooks.registry import UnknownEvent, add_webhook, all_webhooks, remove_webhook, send_test
from app.webhooks.targets import TargetRefused


@click.group()
def webhooks() -> None:
    """Signed HTTP notifications of list events (Standard Webhooks)."""


@webhooks.command("add")
@click.argument("url")
@click.option("--events", required=True, help="Comma-separated: member.subscribed,post.held,...")
@click.option("--list", "list_address", default="", help="Only this list's events (default: every list).")
@with_appcontext
def add(url: str, events: str, list_address: str) -> None:
    """Add a webhook; prints its signing secret (whsec_...) alone on the last line."""
    list_id = list_or_exit(list_address).id if list_address else None
    try:
        hook = add_webhook(url, events.split(","), list_id, CLI)
    except (TargetRefused, UnknownEvent) as exc:
        usage_error(str(exc))
    click.echo(f"added webhook {hook.id} for {', '.join(hook.events)} to {hook.url}")
    click.echo(hook.secret)


@webhooks.command("list")
@with_appcontext
def list_hooks() -> None:
    """Print every webhook, one a line: id, state, scope, events, URL."""
    for hook in all_webhooks():
        scope = list_address(hook.list_id) if hook.list_id else "site-wide"
        state = "active" if hook.active else "disabled"
        click.echo(f"{hook.id} {state} {scope} {','.join(hook.events)} {hook.url}")


def _hook_or_exit(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        usage_error(f"no webhook {webhook_id} (see `mailflow webhooks list`)")
    return hook


@webhooks.command("remove")
@click.argument("webhook_id", type=int)
@with_appcontext
def remove(webhook_id: int) -> None:
    """Delete a webhook and its delivery log."""
    remove_webhook(_hook_or_exit(webhook_id), CLI)
    click.echo(f"removed webhook {webhook_id}")


@webhooks.command("test")
@click.argument("webhook_id", type=int)
@with_appcontext
def test(webhook_id: int) -> None:
    """Send a webhook.test event now and print what the receiver answered (exit 1 if it failed)."""
    delivery = send_test(_hook_or_exit(webhook_id))
    if delivery.status == "sent":
        click.echo(f"sent: HTTP {delivery.response_code}")
        return
    click.echo(f"not sent ({delivery.last_error or delivery.response_code}); retried later", err=True)
    raise SystemExit(1)
