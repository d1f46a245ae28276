"""The delivery lease kept alive by time: a heartbeat thread renews it while its worker process lives.

A worker that dies (kill -9, out of memory, power loss) stops renewing, so its copies return to pending
one lease length later, whatever the relay's speed; a live worker never loses its copies to a slow relay.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Delivery, DeliveryStatus
from app.models.idsets import among
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
BEATS_PER_LEASE = 6  # a worker may stall for five sixths of a lease before it loses its copies


def heartbeat_seconds(lease_seconds: float) -> float:
    """How often a held lease is renewed."""
    return max(lease_seconds / BEATS_PER_LEASE, 0.2)


def renew(delivery_ids: Sequence[int], owner: str, lease_seconds: float) -> int:
    """Push the lease of the copies this owner still holds one lease length ahead; returns how many.

    Rows the sending transaction has locked are skipped, not waited for (PostgreSQL): that transaction is
    renewing their lease itself, and waiting could deadlock the two.
    """
    held = (
        select(Delivery.id)
        .where(
            among(Delivery.id, delivery_ids),
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.lease_owner == owner,
        )
        .with_for_update(skip_locked=True)
    )
    renewed = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(held))
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return len(renewed)


class LeaseHeartbeat(threading.Thread):
    """Renews one claim's lease every heartbeat_seconds until stopped or nothing is held any more."""

    def __init__(self, app: Flask, delivery_ids: Sequence[int], owner: str) -> None:
        super().__init__(name=f"lease {owner}", daemon=True)
        self.app, self.ids, self.owner = app, list(delivery_ids), owner
        self.lease = float(app.config["MAILFLOW"].DELIVERY_LEASE_SECONDS)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(heartbeat_seconds(self.lease)):
            try:
                with self.app.app_context():  # its own session and connection, never the sender's
                    renew(self.ids, self.owner, self.lease)
            except SQLAlchemyError as exc:
                # The chunk fence (deliver.renew_lease) stops this worker sending copies it no longer holds.
                log.warning("could not renew the delivery lease of %s (%s)", self.owner, exc)

    def stop(self) -> None:
        """Stop renewing and wait for a renewal under way."""
        self.done.set()
        if self.is_alive():
            self.join(timeout=30)


@contextmanager
def kept_alive(delivery_ids: Sequence[int], owner: str) -> Iterator[None]:
    """Renew the lease on these copies by time for as long as the block runs."""
    beat = LeaseHeartbeat(current_app._get_current_object(), delivery_ids, owner)  # type: ignore[attr-defined]
    beat.start()
    try:
        yield
    finally:
        beat.stop()
