"""Everything stored about one address, as one JSON-able object (`mailflow people export`, the panel page)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.membership.member_settings import MEMBER_SETTINGS
from app.models import ArchivedMessage, Ban, MailingList, Member
from app.people import lookup


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _list_addresses() -> dict[int, str]:
    return {row.id: row.address for row in db.session.scalars(select(MailingList))}


def _membership(member: Member, lists: dict[int, str]) -> dict[str, object]:
    return {
        "list": lists.get(member.list_id, ""),
        "email": member.email,
        **MEMBER_SETTINGS.show(member),
        "bounce_score": member.bounce_score,
        "pending": member.pending,
        "confirmation_expires_at": _when(member.token_expires_at),
        "created_at": _when(member.created_at),
        "updated_at": _when(member.updated_at),
    }


def export_person(email: str) -> dict[str, object]:
    """Memberships, copies sent, bounces, notice counters, mail to the address, posts by it, audit entries."""
    lists = _list_addresses()
    members = list(db.session.scalars(lookup.members_of(email)))
    by_member = {m.id: lists.get(m.list_id, "") for m in members}
    return {
        "address": email,
        "memberships": [_membership(m, lists) for m in members],
        "pending_confirmations": [
            {"list": lists.get(m.list_id, ""), "action": m.pending, "expires_at": _when(m.token_expires_at)}
            for m in members
            if m.confirm_token
        ],
        "deliveries": [
            {
                "list": by_member.get(d.member_id, ""),
                "post_id": d.post_id,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "sent_at": _when(d.sent_at),
            }
            for d in db.session.scalars(lookup.deliveries_of(email))
        ],
        "bounces": [
            {
                "list": lists.get(b.list_id or 0, ""),
                "kind": b.kind,
                "counted": b.counted,
                "diagnostic": b.diagnostic,
                "created_at": _when(b.created_at),
            }
            for b in db.session.scalars(lookup.bounces_of(email))
        ],
        "notice_counts": [
            {"day": _when(n.day), "count": n.count}
            for n in db.session.scalars(lookup.notice_counts_of(email))
        ],
        "system_mail": [
            {
                "list": lists.get(s.list_id or 0, ""),
                "kind": s.kind,
                "status": s.status,
                "created_at": _when(s.created_at),
            }
            for s in db.session.scalars(lookup.system_mail_to(email))
        ],
        "posts": [
            {
                "id": p.id,
                "list": lists.get(p.list_id, ""),
                "role": p.role,
                "status": p.status,
                "subject": p.subject,
                "hold_reasons": p.hold_reasons,
                "received_at": _when(p.received_at),
            }
            for p in db.session.scalars(lookup.posts_by(email))
        ],
        "audit": [
            {
                "id": a.id,
                "action": a.action,
                "actor": a.actor,
                "list": lists.get(a.list_id or 0, ""),
                "details": a.details,
                "created_at": _when(a.created_at),
            }
            for a in db.session.scalars(lookup.audit_about(email))
        ],
        "bans": [
            {"list": lists.get(b.list_id or 0, "") or "(every list)", "pattern": b.pattern}
            for b in db.session.scalars(select(Ban).where(func.lower(Ban.pattern) == email))
        ],
        "archived_messages": db.session.scalar(
            select(func.count()).where(ArchivedMessage.author_address == email)
        )
        or 0,
    }
