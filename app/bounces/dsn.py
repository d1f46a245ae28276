"""Mail to LIST-bounces[+TOKEN]@: the VERP token names the delivery; flufl.bounce reads the rest."""

from __future__ import annotations

import email
import email.policy
import logging
from email.message import Message
from email.utils import getaddresses
from typing import cast

from flufl.bounce import all_failures
from sqlalchemy import select

from app.bounces.classify import nature
from app.bounces.proof import UNPROVEN, proven_delivery
from app.bounces.scoring import BounceReport, harmless_reports, record_bounce, tell_owners_disabled
from app.bounces.verp import delivery_from_token
from app.extensions import db
from app.mail.list_addresses import AddressRole, candidates
from app.models import Bounce, BounceKind, Delivery, Member, Post, PostStatus
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
MAX_RAW_KEPT = 256 * 1024
MAX_DIAGNOSTIC = 2000


def verp_delivery(post: Post, msg: Message) -> Delivery | None:
    """The delivery named by a valid +TOKEN in an envelope recipient (or a To/Delivered-To field)."""
    headers = [str(v) for name in ("Delivered-To", "X-Original-To", "To") for v in msg.get_all(name) or []]
    # A misread address cannot forge a delivery: the token inside must carry our HMAC.
    addresses = [a for _, a in getaddresses(headers) if a]
    for rcpt in [*(post.rcpt_tos or []), *addresses]:
        for reading in candidates(rcpt):
            if reading.role == AddressRole.BOUNCES and reading.token:
                delivery_id = delivery_from_token(reading.token)
                delivery = db.session.get(Delivery, delivery_id) if delivery_id else None
                if delivery is not None and delivery.post.list_id == post.list_id:
                    return delivery
    return None


def failed_addresses(msg: Message) -> tuple[list[str], list[str]]:
    """(permanent, temporary) failed recipients flufl.bounce finds, lower-cased and sorted."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector choking on odd MIME must not lose the bounce
        log.exception("flufl.bounce could not read a bounce")
        return [], []

    def decode(found) -> list[str]:
        return sorted({a.decode("ascii", "replace").strip().lower() for a in found if a and b"@" in a})

    return decode(permanent), decode(temporary)


def diagnostic(msg: Message) -> str:
    """Status and Diagnostic-Code of a DSN, else the start of its first text part."""
    lines: list[str] = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            for block in cast(list[Message], part.get_payload()):
                for name in ("Action", "Status", "Diagnostic-Code"):
                    if block.get(name):
                        lines.append(f"{name}: {' '.join(str(block[name]).split())}")
    if lines:
        return "\n".join(lines)[:MAX_DIAGNOSTIC]
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = cast(bytes, part.get_payload(decode=True) or b"")
            return payload.decode("utf-8", "replace")[:MAX_DIAGNOSTIC]
    return ""


def reports_for(msg: Message, delivery: Delivery | None) -> list[BounceReport]:
    """One report per failed recipient; with a VERP delivery, exactly one report for its recipient."""
    permanent, temporary = failed_addresses(msg)
    why = diagnostic(msg)
    harmless = nature(msg, bool(permanent or temporary))
    if harmless is not None:  # a delay notice or an automatic reply: recorded, never counted
        return harmless_reports(harmless, delivery, permanent + temporary, why)
    if delivery is not None:
        found = permanent or temporary
        kind = BounceKind.HARD if permanent else BounceKind.SOFT
        if not found:
            why = f"unrecognised bounce format\n{why}"
        address = delivery.recipient if delivery.recipient in found or not found else found[0]
        return [BounceReport(address, kind, why)]
    return [BounceReport(a, BounceKind.HARD, why) for a in permanent] + [
        BounceReport(a, BounceKind.SOFT, why) for a in temporary if a not in permanent
    ]


def process_bounce_post(post: Post) -> None:
    """Record the bounces a message to the bounce address reports, then close the post."""
    notification_id = f"post:{post.id}"
    if db.session.scalar(select(Bounce.id).where(Bounce.notification_id == notification_id).limit(1)):
        if post.status != PostStatus.DISCARDED:  # a second run keeps what the first recorded as the reason
            _close(post, "bounce already recorded")
        return
    msg = email.message_from_bytes(post.raw, policy=email.policy.compat32)
    delivery = verp_delivery(post, msg)
    reports = reports_for(msg, delivery)
    disabled: list[Member] = []
    unproven: list[str] = []
    for report in reports:
        member = _member(post, delivery, report)
        copy = delivery or (proven_delivery(post.list_id, member, post.raw) if member else None)
        if copy is None:
            _record_unproven(post, member, report, notification_id)
            unproven.append(report.address)
            continue
        _, now_disabled = record_bounce(
            post.list_id, member, copy, report, post.raw[:MAX_RAW_KEPT], notification_id
        )
        if now_disabled and member is not None:
            disabled.append(member)
    summary = ", ".join(f"{r.kind} {r.address}" for r in reports) or "no failed recipient found"
    if unproven:
        summary += f"; {UNPROVEN}: {', '.join(unproven)}"
    _close(post, f"bounce: {summary}")
    for member in disabled:
        tell_owners_disabled(member)


def _record_unproven(post: Post, member: Member | None, report: BounceReport, notification_id: str) -> None:
    """Keep a bounce that proves nothing for the owner to see; it scores nothing and touches no delivery."""
    bounce, _ = record_bounce(post.list_id, None, None, report, post.raw[:MAX_RAW_KEPT], notification_id)
    bounce.counted = False
    bounce.member_id = member.id if member is not None else None
    bounce.diagnostic = f"{UNPROVEN}\n{bounce.diagnostic}"[:4000]


def _member(post: Post, delivery: Delivery | None, report: BounceReport) -> Member | None:
    if delivery is not None:
        return db.session.get(Member, delivery.member_id)
    return db.session.scalar(
        select(Member).where(Member.list_id == post.list_id, Member.email == report.address.lower())
    )


def _close(post: Post, reason: str) -> None:
    """A bounce is never distributed: it ends as discarded, with what was recorded as the reason."""
    post.status, post.decision, post.decision_reason = PostStatus.DISCARDED, "bounce", reason[:2000]
    post.decided_at = utcnow()
    db.session.commit()
    log.info("post %s: %s", post.id, reason)
