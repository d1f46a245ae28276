"""Starting the webhook sender: the one place webhook work is put on a queue."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import exists, select

from app.extensions import db
from app.jobs.queues import Job, enqueue
from app.models import WebhookDelivery, WebhookDeliveryStatus
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)


def enqueue_sending() -> bool:
    """Enqueue one send_webhooks job; when Redis is down the reconciler's next pass does it."""
    try:
        enqueue(Job.SEND_WEBHOOKS)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): webhook deliveries wait for the reconciler", exc)
        return False
    return True


def enqueue_if_due() -> bool:
    """The reconciler's pass: enqueue the sender when a delivery (a retry) is due."""
    due = db.session.scalar(
        select(
            exists().where(
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= utcnow(),
            )
        )
    )
    return bool(due) and enqueue_sending()
