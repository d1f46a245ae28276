"""Joins, leaves and bounce-disables, for the owners who opted in: at once (each pass) or once a day.

Events are recorded where every membership change is announced (app/webhooks/events.py:emit) and only for
lists where an owner asked; each owner's preference keeps how far they have been told.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.policy import SMTP

from sqlalchemy import select

from app.extensions import db
from app.lists.staff import is_active_staff
from app.models import (
    MailingList,
    MembershipEvent,
    MembershipEventKind,
    MembershipNotices,
    NoticePreference,
    Role,
    User,
)
from app.models.timestamps import utcnow
from app.sysmail.notices import build_notice
from app.sysmail.staff_notices import send_to_staff

EVENT_KINDS = {
    "member.subscribed": MembershipEventKind.JOINED,
    "member.unsubscribed": MembershipEventKind.LEFT,
    "member.disabled": MembershipEventKind.DISABLED,
}
MAX_LINES = 500
WANTED_CACHE = "mailflow_membership_news_wanted"


def wanted(list_id: int) -> bool:
    """Whether any owner of the list wants membership news (asked once per session and list: an import
    of thousands of members asks once)."""
    known = db.session.info.setdefault(WANTED_CACHE, {})
    if list_id not in known:
        query = select(NoticePreference.id).where(
            NoticePreference.list_id == list_id, NoticePreference.membership != MembershipNotices.OFF
        )
        known[list_id] = db.session.scalar(query.limit(1)) is not None
    return known[list_id]


def note_event(event: str, list_id: int | None, email: str) -> None:
    """Record a membership change in the caller's transaction, when someone wants to hear of it."""
    kind = EVENT_KINDS.get(event)
    if kind is not None and list_id is not None and email and wanted(list_id):
        db.session.add(MembershipEvent(list_id=list_id, kind=kind, email=email))


def send_membership_news(now: datetime | None = None) -> int:
    """Tell each opted-in owner what changed since they were last told, when due; returns mails sent."""
    now = now or utcnow()
    sent = 0
    prefs = db.session.scalars(
        select(NoticePreference).where(NoticePreference.membership != MembershipNotices.OFF)
    )
    for pref in list(prefs):
        if pref.membership == MembershipNotices.DAILY and (pref.next_membership_at or now) > now:
            if pref.next_membership_at is None:
                pref.next_membership_at = now + timedelta(days=1)
                db.session.commit()
            continue
        sent += _tell(pref, now)
    return sent


def _tell(pref: NoticePreference, now: datetime) -> int:
    events = list(
        db.session.scalars(
            select(MembershipEvent)
            .where(MembershipEvent.list_id == pref.list_id, MembershipEvent.id > pref.membership_seen_id)
            .order_by(MembershipEvent.id)
        )
    )
    if pref.membership == MembershipNotices.DAILY:
        pref.next_membership_at = now + timedelta(days=1)
    user, mlist = db.session.get(User, pref.user_id), db.session.get(MailingList, pref.list_id)
    if (
        not events
        or user is None
        or mlist is None
        or not is_active_staff(mlist.id, user.email, (Role.OWNER,))
    ):
        db.session.commit()
        return 0
    pref.membership_seen_id = events[-1].id
    db.session.commit()  # moved on first: a crash below loses one mail rather than repeating it forever
    lines = [f"{e.created_at:%Y-%m-%d %H:%M} UTC  {e.kind:<8}  {e.email}" for e in events[:MAX_LINES]]
    more = [f"... and {len(events) - MAX_LINES} more (see the audit log)."] if len(events) > MAX_LINES else []
    body = "\n".join([f"Membership changes on {mlist.address}:", "", *lines, *more, ""])
    subject = f"[{mlist.name}] {len(events)} membership change(s)"
    notice = build_notice(mlist, user.email, subject, body, auto="auto-generated")
    return int(send_to_staff(mlist, user.email, notice.as_bytes(policy=SMTP)))
