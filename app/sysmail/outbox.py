"""The one way system mail leaves: stored first, then sent over the configured egress through the shared
send-rate limit; a temporary failure is retried by RQ with the same backoff as list copies."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, or_, select, update

from app.egress import Outgoing, SendResult, make_sender
from app.extensions import db
from app.jobs.queues import Job, enqueue, redis_connection
from app.jobs.retry_policy import backoff, may_retry
from app.models import SystemMail, SystemMailKind, SystemMailStatus
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
SEND_LEASE_SECONDS = 600  # a claimed message is not claimed again this soon (a worker died mid-send)


def store(kind: SystemMailKind, mail_from: str, rcpt: str, data: bytes, list_id: int | None) -> SystemMail:
    """Add one outgoing message to the session; the caller commits it with whatever it decided."""
    row = SystemMail(
        kind=kind,
        list_id=list_id,
        mail_from=mail_from,
        rcpt=rcpt,
        data=data,
        status=SystemMailStatus.PENDING,
        attempts=0,
        last_error="",
    )
    db.session.add(row)
    return row


def send_now(kind: SystemMailKind, mail_from: str, rcpt: str, data: bytes, list_id: int | None) -> bool:
    """Store one message, commit, and try it at once; True when the egress accepted it now."""
    row = store(kind, mail_from, rcpt, data, list_id)
    db.session.commit()
    return send_stored_rows([row])[0]


def send_stored_rows(rows: Sequence[SystemMail]) -> list[bool]:
    """Send committed pending messages in one egress session; records each outcome, schedules retries."""
    if not rows:
        return []
    sender = make_sender(current_app.config["MAILFLOW"], redis_connection())
    try:
        results = sender.send([Outgoing(row.id, row.mail_from, row.rcpt, row.data) for row in rows])
    finally:
        sender.close()
    by_id = {row.id: row for row in rows}
    now = utcnow()
    for result in results:
        _record(by_id[result.delivery_id], result, now)
    db.session.commit()
    for row in rows:
        if row.status == SystemMailStatus.PENDING:
            _retry_later(row)
    return [row.status == SystemMailStatus.SENT for row in rows]


def _record(row: SystemMail, result: SendResult, now: datetime) -> None:
    row.attempts += 1
    if result.ok:
        row.status, row.sent_at, row.next_attempt_at, row.last_error = SystemMailStatus.SENT, now, None, ""
        return
    row.last_error = result.error[:2000]
    retry_days = current_app.config["MAILFLOW"].SMTP_RETRY_DAYS
    if not result.permanent and may_retry(row.created_at, now, retry_days):
        row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts))
        log.warning("%s to %s not sent yet (%s); retrying", row.kind, row.rcpt, result.error)
        return
    row.status, row.next_attempt_at = SystemMailStatus.FAILED, None
    log.warning("%s to %s not sent, for good: %s", row.kind, row.rcpt, result.error)


def _retry_later(row: SystemMail) -> None:
    try:
        enqueue(Job.SEND_SYSTEM_MAIL, row.id, delay=backoff(row.attempts))
    except RedisError as exc:
        log.warning("Redis unreachable (%s): system mail %s is retried by the reconciler", exc, row.id)


def send_stored(mail_id: int) -> None:
    """Try a pending message again once it is due (the RQ job behind each retry)."""
    now = utcnow()
    result = db.session.execute(
        update(SystemMail)
        .where(
            SystemMail.id == mail_id,
            SystemMail.status == SystemMailStatus.PENDING,
            or_(SystemMail.next_attempt_at.is_(None), SystemMail.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + timedelta(seconds=SEND_LEASE_SECONDS))
        .execution_options(synchronize_session=False)
    )
    claimed = cast(CursorResult, result).rowcount
    db.session.commit()
    row = db.session.get(SystemMail, mail_id) if claimed else None
    if row is not None:
        send_stored_rows([row])


def enqueue_overdue(limit: int = 1000) -> int:
    """Reconciler: pending messages whose retry is long overdue lost their job; enqueue them again."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAILFLOW"].RECONCILE_SECONDS)
    ids = list(
        db.session.scalars(
            select(SystemMail.id)
            .where(
                SystemMail.status == SystemMailStatus.PENDING,
                or_(
                    SystemMail.next_attempt_at < cutoff,
                    SystemMail.next_attempt_at.is_(None) & (SystemMail.created_at < cutoff),
                ),
            )
            .order_by(SystemMail.id)
            .limit(limit)
        )
    )
    try:
        for mail_id in ids:
            enqueue(Job.SEND_SYSTEM_MAIL, mail_id)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): overdue system mail is enqueued by a later pass", exc)
        return 0
    return len(ids)
