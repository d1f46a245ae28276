"""When a list's digest is due: at its hour (daily, Mondays, the 1st), or early past its size threshold."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.digests.entries import removed_from_archive
from app.digests.issues import IssueReport, send_issue
from app.extensions import db
from app.jobs.queues import redis_connection
from app.liveness import holder_token, provably_dead
from app.models import DigestEntry, DigestFrequency, MailingList
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
LOCK_KEY = "mailflow:digests:scheduler"
LOCK_SECONDS = 300  # longer than any building pass; the unique issue number guards correctness anyway
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def latest_slot(frequency: str, hour: int, now: datetime) -> datetime | None:
    """The most recent scheduled time at or before now; None for `never`."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == DigestFrequency.DAILY:
        return today if today <= now else today - timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        monday = today - timedelta(days=now.weekday())
        return monday if monday <= now else monday - timedelta(days=7)
    if frequency == DigestFrequency.MONTHLY:
        first = today.replace(day=1)
        return first if first <= now else (first - timedelta(days=1)).replace(day=1)
    return None


def is_due(mlist: MailingList, size: int, oldest: datetime, now: datetime) -> bool:
    """Due when a waiting post has seen the list's hour go by, or the posts waiting passed the threshold."""
    threshold = mlist.digest_size_threshold_kb * 1024
    if threshold and size >= threshold:
        return True
    slot = latest_slot(mlist.digest_frequency, mlist.digest_hour, now)
    return slot is not None and oldest <= slot


def waiting_by_list() -> list[tuple[int, int, datetime]]:
    """(list id, waiting bytes, oldest waiting since) for every list with posts waiting."""
    rows = db.session.execute(
        select(DigestEntry.list_id, func.sum(DigestEntry.size), func.min(DigestEntry.created_at))
        .where(DigestEntry.issue_id.is_(None), ~removed_from_archive())
        .group_by(DigestEntry.list_id)
    )
    return [(row[0], int(row[1] or 0), _aware(row[2])) for row in rows]


def _aware(value: datetime) -> datetime:
    # SQLite hands an aggregate back without the column type: naive (UTC) or even text.
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def send_due_digests(now: datetime | None = None) -> list[IssueReport]:
    """Send every digest that is due, one scheduler at a time across processes; returns what was sent."""
    now = now or utcnow()
    token = _take_lock()
    if token is None:
        return []
    try:
        reports = []
        for list_id, size, oldest in waiting_by_list():
            mlist = db.session.get(MailingList, list_id)
            if mlist is not None and is_due(mlist, size, oldest, now):
                report = send_issue(mlist)
                reports += [report] if report else []
        return reports
    finally:
        _release_lock(token)


def send_pending(mlist: MailingList | None = None) -> list[IssueReport]:
    """`mailflow digests send`: every list's (or one list's) pending digest now, whatever its frequency."""
    lists = [mlist] if mlist is not None else _lists_waiting()
    reports = [send_issue(m) for m in lists]
    return [r for r in reports if r is not None]


def _lists_waiting() -> list[MailingList]:
    ids = [row[0] for row in waiting_by_list()]
    return list(
        db.session.scalars(select(MailingList).where(MailingList.id.in_(ids)).order_by(MailingList.id))
    )


def _take_lock() -> str | None:
    """A token when this process may run the digest pass (always without Redis: one process then)."""
    token = holder_token(random_chars=8)
    conn = redis_connection()
    if conn is None:
        return token
    try:
        if conn.set(LOCK_KEY, token, nx=True, ex=LOCK_SECONDS):
            return token
        holder = conn.get(LOCK_KEY)  # a pass killed with its worker: free its lock now, not in minutes
        if (
            isinstance(holder, bytes)
            and provably_dead(holder.decode())
            and conn.eval(RELEASE, 1, LOCK_KEY, holder)
        ):
            return token if conn.set(LOCK_KEY, token, nx=True, ex=LOCK_SECONDS) else None
        return None
    except RedisError as exc:
        log.warning("digest pass skipped, Redis unreachable (%s)", exc)
        return None


def _release_lock(token: str) -> None:
    conn = redis_connection()
    try:
        if conn is not None:
            conn.eval(RELEASE, 1, LOCK_KEY, token)
    except RedisError:
        pass  # it expires by itself
