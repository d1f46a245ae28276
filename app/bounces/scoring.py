"""Bounce scores as in Mailman: hard +1, soft +0.5, disable at the threshold, reset after a quiet spell."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import CursorResult, update

from app.extensions import db
from app.jobs.queues import Job, enqueue
from app.lists.staff import active_staff
from app.metrics.instruments import bounce_recorded
from app.models import (
    Bounce,
    BounceKind,
    Delivery,
    DeliveryStatus,
    MailingList,
    Member,
    MemberStatus,
    Role,
)
from app.models.timestamps import utcnow
from app.sysmail.notices import build_notice, send_notice
from app.webhooks.events import WebhookEvent, emit, member_data

log = logging.getLogger(__name__)
POINTS = {BounceKind.HARD: 1.0, BounceKind.SOFT: 0.5}
DISABLED_FOR_BOUNCES = "bounces"
UNSUBSCRIBED_FOR_COMPLAINT = "complaint"
# A receiver refusing the list's mail for the author's DMARC policy says nothing about the member.
NOT_COUNTED = "not counted"
NEVER_COUNTED = {
    BounceKind.DELAYED: "a delay notice: the mail is still being tried, nothing failed yet",
    BounceKind.AUTO_REPLY: "an automatic reply (out of office, vacation, challenge), not a delivery failure",
    BounceKind.UNRECOGNISED: "no failed recipient could be read from this message",
}
DMARC_REJECTION = re.compile(r"\b5\.7\.\d{1,3}\b.*dmarc|dmarc.*\b5\.7\.\d{1,3}\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class BounceReport:
    """What a DSN or a provider notification says about one failed recipient."""

    address: str
    kind: BounceKind
    diagnostic: str = ""


def is_dmarc_rejection(diagnostic: str) -> bool:
    """True for 5.7.x rejections that name DMARC: they never count against the member."""
    return bool(DMARC_REJECTION.search(diagnostic))


def harmless_reports(
    kind: BounceKind, delivery: Delivery | None, found: list[str], diagnostic: str
) -> list[BounceReport]:
    """Reports of a delay notice or an automatic reply: for the VERP delivery's recipient, else each address."""
    if delivery is not None:
        return [BounceReport(delivery.recipient, kind, diagnostic)]
    return [BounceReport(address, kind, diagnostic) for address in dict.fromkeys(found)]


def not_counted_reason(report: BounceReport, member: Member | None, now: datetime) -> str:
    """Why this bounce must not count against the member ('' when it counts)."""
    if report.kind in NEVER_COUNTED:
        return NEVER_COUNTED[BounceKind(report.kind)]
    if is_dmarc_rejection(report.diagnostic):
        return "a rejection for the author's DMARC policy says nothing about the address"
    if (
        member is not None
        and member.last_bounce_at is not None
        and member.last_bounce_at.date() == now.date()
    ):
        return "a bounce of this member already counted today (at most one a day counts)"
    return ""


def record_bounce(
    list_id: int | None,
    member: Member | None,
    delivery: Delivery | None,
    report: BounceReport,
    raw: bytes | None = None,
    notification_id: str = "",
) -> tuple[Bounce, bool]:
    """Add a bounce row (caller commits), mark the delivery and score the member; True if now disabled.

    A bounce that does not count is still recorded, with the reason at the head of its diagnostic, so the
    owner sees it on the member's page.
    """
    now = utcnow()
    reason = not_counted_reason(report, member, now) if report.kind != BounceKind.COMPLAINT else "complaint"
    shown = (
        f"{NOT_COUNTED}: {reason}\n{report.diagnostic}"
        if reason and reason != "complaint"
        else report.diagnostic
    )
    bounce_recorded(report.kind)
    bounce = Bounce(
        list_id=list_id,
        member_id=member.id if member else None,
        delivery_id=delivery.id if delivery else None,
        address=report.address[:320],
        kind=report.kind,
        diagnostic=shown[:4000],
        counted=not reason,
        raw=raw,
        notification_id=notification_id[:255],
    )
    db.session.add(bounce)
    emit(WebhookEvent.BOUNCE_RECORDED, list_id, {"address": bounce.address, "kind": str(report.kind)})
    if delivery is not None and report.kind == BounceKind.HARD:
        delivery.status = DeliveryStatus.BOUNCED
        delivery.last_error = report.diagnostic[:2000]
    disabled = score(member, report.kind, not reason, now) if member is not None else False
    return bounce, disabled


def thresholds(mlist: MailingList) -> tuple[float, float]:
    """(warning, disable) scores for this list: its own settings, else MAILFLOW_BOUNCE_*_THRESHOLD."""
    settings = current_app.config["MAILFLOW"]
    disable = mlist.bounce_threshold if mlist.bounce_threshold is not None else settings.BOUNCE_THRESHOLD
    warning = mlist.bounce_warning_threshold
    return (settings.BOUNCE_WARNING_THRESHOLD if warning is None else warning), disable


def score(member: Member, kind: BounceKind, counted: bool, now: datetime | None = None) -> bool:
    """Apply one bounce or complaint to a member; True when this bounce disabled them."""
    now = now or utcnow()
    if kind == BounceKind.COMPLAINT:
        if member.status in (MemberStatus.ACTIVE, MemberStatus.DISABLED, MemberStatus.PENDING):
            member.status, member.disabled_reason = MemberStatus.UNSUBSCRIBED, UNSUBSCRIBED_FOR_COMPLAINT
            emit(WebhookEvent.MEMBER_UNSUBSCRIBED, member.list_id, member_data(member))
        return False
    if not counted:
        return False
    reset_days = current_app.config["MAILFLOW"].BOUNCE_RESET_DAYS
    if member.last_bounce_at is not None and now - member.last_bounce_at > timedelta(days=reset_days):
        member.bounce_score, member.bounce_warned_at = 0.0, None
    member.bounce_score = (member.bounce_score or 0.0) + POINTS[kind]
    member.last_bounce_at = now
    warning, disable = thresholds(member.mailing_list)
    if warning and member.bounce_score >= warning and member.bounce_warned_at is None:
        member.bounce_warned_at = now
        warn_member_later(member)
    if member.bounce_score >= disable and member.status == MemberStatus.ACTIVE:
        member.status, member.disabled_reason = MemberStatus.DISABLED, DISABLED_FOR_BOUNCES
        emit(WebhookEvent.MEMBER_DISABLED, member.list_id, member_data(member))
        return True
    return False


def warn_member_later(member: Member) -> None:
    """Queue the member's one notice (sent by a job, after the caller's transaction)."""
    try:
        enqueue(Job.WARN_ABOUT_BOUNCES, member.id)
    except RedisError as exc:
        log.warning("could not queue the bounce notice to %s (%s)", member.email, exc)


def reset_quiet_scores(now: datetime | None = None) -> int:
    """Scores of members with no bounce for MAILFLOW_BOUNCE_RESET_DAYS go back to 0; returns how many."""
    days = current_app.config["MAILFLOW"].BOUNCE_RESET_DAYS
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        update(Member)
        .where(Member.bounce_score > 0, Member.last_bounce_at < cutoff)
        .values(bounce_score=0.0, bounce_warned_at=None)
    )
    db.session.commit()
    return cast(CursorResult, result).rowcount or 0


def tell_owners_disabled(member: Member) -> int:
    """Send the list owners a notice that a member was disabled for bounces; returns notices sent."""
    mlist = member.mailing_list
    body = (
        f"{member.email} reached a bounce score of {member.bounce_score:g} "
        f"(threshold {thresholds(mlist)[1]:g}) and no longer receives posts "
        f"from {mlist.address}.\nRe-enable the member in the panel once the address works again.\n"
    )
    sent = 0
    for owner in active_staff(mlist.id, (Role.OWNER,)):
        notice = build_notice(
            mlist, owner, f"{mlist.name}: {member.email} disabled for bounces", body, auto="auto-generated"
        )
        sent += send_notice(mlist, notice)
    if not sent:
        log.warning("list %s has no owner to tell that %s was disabled", mlist.address, member.email)
    return sent
