"""Sending due webhook deliveries: signed POSTs, exponential retries over about a day, then failed."""

from __future__ import annotations

import http.client
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from app.models.audit import record
from app.models.timestamps import utcnow
from app.webhooks.notices import tell_webhook_disabled
from app.webhooks.signing import headers
from app.webhooks.targets import TargetRefused, check_target
from app.webhooks.transport import post_pinned

log = logging.getLogger(__name__)
# Waits after attempt 1, 2, ...: about 28 hours in all, then the delivery is failed.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
)
DISABLE_AFTER = 5  # consecutive failed deliveries
TIMEOUT_SECONDS = 10
CLAIM = timedelta(seconds=60)  # a claimed delivery is not picked again by a concurrent sender meanwhile
BATCH = 100


@dataclass(frozen=True)
class Attempt:
    """What one POST came to."""

    ok: bool
    response_code: int | None = None
    error: str = ""


def send_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the deliveries that are due; returns how many were attempted."""
    now = now or utcnow()
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    attempted = 0
    for delivery_id in due:
        if _claim(delivery_id, now):
            send_one(delivery_id, now)
            attempted += 1
    return attempted


def _claim(delivery_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def send_one(delivery_id: int, now: datetime) -> None:
    """Attempt one claimed delivery and record the outcome."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    hook = db.session.get(Webhook, delivery.webhook_id) if delivery else None
    if delivery is None or hook is None:
        return
    if not hook.active:
        delivery.status, delivery.last_error = WebhookDeliveryStatus.FAILED, "the webhook is disabled"
        db.session.commit()
        return
    attempt = post(hook, delivery, now)
    record_attempt(hook, delivery, attempt, now)
    db.session.commit()
    if not hook.active:  # this attempt disabled it
        tell_webhook_disabled(hook)


def post(hook: Webhook, delivery: WebhookDelivery, now: datetime) -> Attempt:
    """POST the signed payload to an address the target resolves to now, checked again."""
    try:
        addresses = check_target(hook.url, current_app.config["MAILFLOW"].WEBHOOKS_ALLOW_PRIVATE)
    except TargetRefused as exc:
        return Attempt(False, error=str(exc))
    body = delivery.payload.encode()
    request_headers = {"Content-Type": "application/json", "User-Agent": "MailFlow-Webhooks"}
    request_headers |= headers(hook.secret, delivery.msg_id, int(now.timestamp()), body)
    try:
        code = post_pinned(hook.url, addresses, body, request_headers, TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(False, error=f"{type(exc).__name__}: {exc}")
    return Attempt(200 <= code < 300, code, "" if 200 <= code < 300 else f"HTTP {code}")


def record_attempt(hook: Webhook, delivery: WebhookDelivery, attempt: Attempt, now: datetime) -> None:
    """Mark the delivery sent, retry it later, or fail it (and count the failure against the webhook)."""
    delivery.attempts += 1
    delivery.response_code = attempt.response_code
    delivery.last_error = attempt.error[:500]
    if attempt.ok:
        delivery.status, delivery.delivered_at = WebhookDeliveryStatus.SENT, now
        hook.consecutive_failures = 0
    elif delivery.attempts <= len(RETRY_DELAYS):
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    else:
        delivery.status = WebhookDeliveryStatus.FAILED
        hook.consecutive_failures += 1
        if hook.consecutive_failures >= DISABLE_AFTER:
            disable(hook, now)


def disable(hook: Webhook, now: datetime) -> None:
    """Stop sending to a webhook that keeps failing, and say so in the audit log."""
    hook.active, hook.disabled_at = False, now
    record(
        "webhook.disabled",
        "system",
        "webhook",
        hook.id,
        hook.list_id,
        url=hook.url,
        consecutive_failures=hook.consecutive_failures,
    )
    log.warning(
        "webhook %d (%s) disabled after %d failed deliveries", hook.id, hook.url, hook.consecutive_failures
    )
