"""Summaries for staff who chose them, and the catch-up that makes sure nothing held goes unmentioned.

Run by the reconciler loop (app/jobs/reconcile.py). An item counts as mentioned to a person once they hold
a reply token for it (app/sysmail/reply_tokens.py, unique per person and item), so two workers running this
at once never mention an item twice, and an item whose notice was lost is mentioned by the next pass.

A summary carries one `mailto:` link per item and word rather than one Reply-To: a message has only one
reply address, and one token per item keeps "one answer acts once, for one item" as simple as a notice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.policy import SMTP
from typing import cast
from urllib.parse import quote

from sqlalchemy import CursorResult, select, update

from app.extensions import db
from app.lists.staff import active_staff_users
from app.models import MailingList, NoticeMode, NoticePreference, User
from app.models.timestamps import utcnow
from app.sysmail.notices import build_notice
from app.sysmail.pending_items import Item, Waiting, item_for, lists_with_waiting_items, waiting
from app.sysmail.reply_tokens import Issued, issue, told
from app.sysmail.staff_notices import notice_mode, send_item_notice, send_to_staff

log = logging.getLogger(__name__)
GRACE = timedelta(seconds=60)  # "each" items are announced at once; the catch-up waits this long first
CATCH_UP_SINGLES = 5  # more unmentioned items than this for one person: one summary instead of a flood
MAX_ITEMS = 100  # per summary; the rest come in the next one
DAILY = timedelta(days=1)


def next_due(pref: NoticePreference, now: datetime) -> datetime:
    """When this person's next summary is due."""
    if pref.mode == NoticeMode.DAILY:
        return now + DAILY
    return now + timedelta(minutes=max(1, pref.interval_minutes))


def _claim(pref: NoticePreference, now: datetime) -> bool:
    """Move the preference's due time on, once: False when another worker did it first."""
    result = db.session.execute(
        update(NoticePreference)
        .where(NoticePreference.id == pref.id, NoticePreference.next_summary_at == pref.next_summary_at)
        .values(next_summary_at=next_due(pref, now))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return cast(CursorResult, result).rowcount == 1


def _preference(user_id: int, list_id: int) -> NoticePreference | None:
    return db.session.scalar(
        select(NoticePreference).where(
            NoticePreference.user_id == user_id, NoticePreference.list_id == list_id
        )
    )


def _unmentioned(user: User, entries: list[Waiting]) -> list[Waiting]:
    known: set[tuple[str, int]] = set()
    for kind in {entry.kind for entry in entries}:
        ids = [entry.object_id for entry in entries if entry.kind is kind]
        known |= {(kind, object_id) for object_id in told(user.id, kind, ids)}
    return [entry for entry in entries if (entry.kind, entry.object_id) not in known]


def send_due_summaries(now: datetime | None = None) -> int:
    """One pass over every list with waiting items: due summaries, and the catch-up; returns mails sent."""
    now = now or utcnow()
    sent = 0
    for mlist in lists_with_waiting_items():
        entries = waiting(mlist.id)
        for user in active_staff_users(mlist.id):
            sent += _for_person(mlist, user, entries, now)
    return sent


def _for_person(mlist: MailingList, user: User, entries: list[Waiting], now: datetime) -> int:
    fresh = _unmentioned(user, entries)
    if notice_mode(user.id, mlist.id) is NoticeMode.EACH:
        settled = [entry for entry in fresh if entry.since + GRACE <= now]
        if len(settled) > CATCH_UP_SINGLES:
            return send_summary(mlist, user, settled)
        return sum(_single(mlist, user, entry) for entry in settled)
    pref = _preference(user.id, mlist.id)
    if pref is None or not fresh:
        return 0
    if pref.next_summary_at is None or pref.next_summary_at > now:
        if pref.next_summary_at is None:
            pref.next_summary_at = next_due(pref, now)
            db.session.commit()
        return 0
    return send_summary(mlist, user, fresh) if _claim(pref, now) else 0


def _single(mlist: MailingList, user: User, entry: Waiting) -> int:
    found = item_for(entry)
    return int(found is not None and send_item_notice(mlist, found[0], user, found[1]))


def send_summary(mlist: MailingList, user: User, entries: list[Waiting]) -> int:
    """One mail listing items not yet mentioned to user, each with its own reply links; 1 when sent."""
    lines: list[str] = []
    for number, entry in enumerate(entries[:MAX_ITEMS], 1):
        found = item_for(entry)
        issued = issue(mlist, user.id, entry.kind, entry.object_id, found[0].days) if found else None
        if found is not None and issued is not None:  # None: gone, or another pass mentioned it meanwhile
            lines += summary_entry(number, found[0], issued)
    if not lines:
        return 0
    more = len(entries) - MAX_ITEMS
    body = "\n".join(
        [f"These wait for a decision on {mlist.address}:", "", *lines]
        + ([f"{more} more come in the next summary.", ""] if more > 0 else [])
        + [
            "To decide one, open one of its links: your mail program starts a reply to that item's own",
            f"address with the word as the subject; send it from {user.email}. Each link works once.",
            "A reply to this summary itself decides nothing.",
        ]
    )
    count = min(len(entries), MAX_ITEMS)
    subject = f"[{mlist.name}] {count} item(s) wait for moderation"
    notice = build_notice(mlist, user.email, subject, body + "\n", auto="auto-generated")
    return int(send_to_staff(mlist, user.email, notice.as_bytes(policy=SMTP)))


def summary_entry(number: int, item: Item, issued: Issued) -> list[str]:
    """An item in a summary: what it is, why, and a mailto: link per word."""
    lines = [f"{number}. {item.headline}"] + [f"   {line}" for line in item.details]
    for word, meaning in item.words:
        command = word.replace(" REASON", "")
        link = f"mailto:{issued.address}?subject={quote(command)}"
        lines.append(f"   {command:<15} ({meaning}): {link}")
    lines += [f"   In the panel: {item.panel_url}", ""]
    return lines
