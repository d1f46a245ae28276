"""Adding, listing, removing and trying webhooks: the service the CLI (and later the panel and API) call."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Webhook, WebhookDelivery
from app.models.audit import Actor, record_by
from app.models.timestamps import utcnow
from app.webhooks.events import WebhookEvent, new_msg_id, payload
from app.webhooks.sender import CLAIM, send_one
from app.webhooks.signing import new_secret
from app.webhooks.targets import check_target

TEST_EVENT = "webhook.test"


class UnknownEvent(ValueError):
    """An event name that is not one of WebhookEvent."""


def parse_events(names: list[str]) -> list[str]:
    """Validated, de-duplicated event names; raises UnknownEvent naming the bad one."""
    known = {e.value for e in WebhookEvent}
    events: list[str] = []
    for name in (n.strip() for n in names):
        if name not in known:
            raise UnknownEvent(f"unknown event {name!r} (known: {', '.join(e.value for e in WebhookEvent)})")
        if name not in events:
            events.append(name)
    if not events:
        raise UnknownEvent("name at least one event")
    return events


def add_webhook(url: str, events: list[str], list_id: int | None, actor: Actor) -> Webhook:
    """Register a webhook (the target is checked now and at every send); the caller shows its secret once."""
    check_target(url, current_app.config["MAILFLOW"].WEBHOOKS_ALLOW_PRIVATE)
    hook = Webhook(url=url, events=parse_events(events), list_id=list_id, secret=new_secret())
    db.session.add(hook)
    db.session.flush()
    record_by(actor, "webhook.add", "webhook", hook.id, list_id, url=url, events=hook.events)
    db.session.commit()
    return hook


def all_webhooks() -> list[Webhook]:
    """Every webhook, oldest first."""
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def remove_webhook(hook: Webhook, actor: Actor) -> None:
    """Delete a webhook and its delivery log."""
    record_by(actor, "webhook.remove", "webhook", hook.id, hook.list_id, url=hook.url)
    db.session.delete(hook)
    db.session.commit()


def enable_webhook(hook: Webhook, actor: Actor) -> bool:
    """Send to a disabled webhook again, its failure count reset; False when it was not disabled."""
    if hook.active:
        return False
    hook.active, hook.disabled_at, hook.consecutive_failures = True, None, 0
    record_by(actor, "webhook.enable", "webhook", hook.id, hook.list_id, url=hook.url)
    db.session.commit()
    return True


def delivery_log(hook: Webhook, limit: int = 100) -> list[WebhookDelivery]:
    """The webhook's latest deliveries, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    return list(db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def send_test(hook: Webhook) -> WebhookDelivery:
    """Send one webhook.test delivery now (retried later like any other if it fails); returns it."""
    now = utcnow()
    delivery = WebhookDelivery(
        webhook_id=hook.id,
        event=TEST_EVENT,
        msg_id=new_msg_id(),
        payload=payload(TEST_EVENT, {"webhook_id": hook.id}),
        next_attempt_at=now + CLAIM,  # sent here, not also by a sender running meanwhile
    )
    db.session.add(delivery)
    db.session.commit()
    send_one(delivery.id, now)
    return delivery
