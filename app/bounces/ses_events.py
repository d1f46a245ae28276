"""SES event notifications (Bounce, Complaint, Delivery) applied to deliveries and members."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from app.bounces.scoring import BounceReport, record_bounce, tell_owners_disabled
from app.bounces.sns import MalformedMessage
from app.extensions import db
from app.models import Bounce, BounceKind, Delivery, Member
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
BOUNCE_KINDS = {"Permanent": BounceKind.HARD, "Transient": BounceKind.SOFT, "Undetermined": BounceKind.SOFT}


def event_of(message: str) -> dict[str, Any]:
    """The SES event inside an SNS Notification's Message; raises MalformedMessage."""
    try:
        event = json.loads(message)
    except json.JSONDecodeError as exc:
        raise MalformedMessage(f"Message is not JSON: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("mail"), dict):
        raise MalformedMessage("Message is not an SES event (no mail object)")
    return event


def event_type(event: dict[str, Any]) -> str:
    """Bounce, Complaint, Delivery...: notificationType (identity) or eventType (event publishing)."""
    return str(event.get("notificationType") or event.get("eventType") or "")


def reports(event: dict[str, Any]) -> list[BounceReport]:
    """One report per bounced or complaining recipient."""
    kind = event_type(event)
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        severity = BOUNCE_KINDS.get(str(bounce.get("bounceType")), BounceKind.SOFT)
        return [
            BounceReport(
                str(r.get("emailAddress", "")).lower(),
                severity,
                " ".join(str(r.get(k, "")) for k in ("status", "diagnosticCode")).strip()
                or str(bounce.get("bounceSubType", "")),
            )
            for r in bounce.get("bouncedRecipients") or []
            if isinstance(r, dict)
        ]
    if kind == "Complaint":
        complaint = event.get("complaint") or {}
        why = f"complaint: {complaint.get('complaintFeedbackType', 'unspecified')}"
        return [
            BounceReport(str(r.get("emailAddress", "")).lower(), BounceKind.COMPLAINT, why)
            for r in complaint.get("complainedRecipients") or []
            if isinstance(r, dict)
        ]
    return []


def apply_event(notification_id: str, message: str) -> int:
    """Apply one SES event; returns how many bounces/complaints were recorded (0 for a repeat)."""
    event = event_of(message)
    delivery = _delivery(str(event["mail"].get("messageId", "")))
    if event_type(event) == "Delivery":
        if delivery is not None:
            delivery.delivered_at = utcnow()
            db.session.commit()
        return 0
    if db.session.scalar(select(Bounce.id).where(Bounce.notification_id == notification_id).limit(1)):
        return 0  # SNS delivers at least once: this one was recorded already
    disabled: list[Member] = []
    found = reports(event)
    for report in found:
        copy = delivery if delivery is not None and delivery.recipient == report.address else None
        member = db.session.get(Member, copy.member_id) if copy is not None else None
        list_id = member.list_id if member is not None else None
        _, now_disabled = record_bounce(
            list_id, member, copy, report, message.encode()[:65536], notification_id
        )
        if now_disabled and member is not None:
            disabled.append(member)
    db.session.commit()
    for member in disabled:
        tell_owners_disabled(member)
    return len(found)


def _delivery(message_id: str) -> Delivery | None:
    if not message_id:
        return None
    return db.session.scalar(select(Delivery).where(Delivery.provider_message_id == message_id).limit(1))
