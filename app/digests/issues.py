"""Build a list's next digest issue exactly once, store each format as a post, and start its delivery."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.digests.compose import Built, build_mime, build_plain, item_of
from app.digests.entries import waiting_post_ids
from app.extensions import db
from app.jobs.queues import enqueue_posts
from app.membership.delivery import receives_digests
from app.models import (
    DeliveryMode,
    DigestEntry,
    DigestIssue,
    MailingList,
    Member,
    Post,
    PostSource,
    PostStatus,
)
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
BUILDERS = {DeliveryMode.MIME_DIGEST: build_mime, DeliveryMode.PLAIN_DIGEST: build_plain}


@dataclass
class IssueReport:
    """What sending one issue did, for the CLI and the log."""

    list_address: str
    volume: int
    number: int
    posts: int
    readers: dict[str, int] = field(default_factory=dict)  # digest mode -> members it goes to

    def line(self) -> str:
        """One line saying what was sent."""
        who = ", ".join(f"{n} {mode.replace('_', ' ')}" for mode, n in self.readers.items()) or "no readers"
        return f"{self.list_address}: Vol {self.volume}, Issue {self.number}: {self.posts} posts to {who}"


def next_number(list_id: int, now: datetime) -> tuple[int, int]:
    """Volume and issue number of the list's next digest: a new volume each calendar year."""
    last = db.session.scalars(
        select(DigestIssue).where(DigestIssue.list_id == list_id).order_by(DigestIssue.id.desc()).limit(1)
    ).first()
    if last is None:
        return 1, 1
    return (last.volume + 1, 1) if last.created_at.year < now.year else (last.volume, last.number + 1)


def readers(list_id: int, now: datetime) -> dict[str, int]:
    """Members of each digest format today (on vacation or no mail: not counted)."""
    rows = db.session.execute(
        select(Member.delivery_mode, func.count())
        .where(Member.list_id == list_id, receives_digests(now.date()))
        .group_by(Member.delivery_mode)
    )
    return {mode: count for mode, count in rows if count}


def send_issue(mlist: MailingList) -> IssueReport | None:
    """Build and send the list's next issue from the posts waiting; None when none wait or another process won."""
    now = utcnow()
    volume, number = next_number(mlist.id, now)  # first: posts read after it cannot belong to a newer issue
    issue = _claim(mlist, volume, number, now)
    if issue is None:
        return None
    counts = readers(mlist.id, now)
    posts = _posts_in_order(issue.post_ids)
    built = {mode: BUILDERS[DeliveryMode(mode)](mlist, volume, number, [item_of(p.prepared or p.raw) for p in posts])
             for mode in counts}  # fmt: skip
    stored = {mode: _store(mlist, b, now) for mode, b in built.items()}
    issue.mime_post_id = stored[DeliveryMode.MIME_DIGEST].id if DeliveryMode.MIME_DIGEST in stored else None
    issue.plain_post_id = (
        stored[DeliveryMode.PLAIN_DIGEST].id if DeliveryMode.PLAIN_DIGEST in stored else None
    )
    db.session.commit()  # the issue, its entries and its posts at once: a crash leaves all or nothing
    enqueue_posts([p.id for p in stored.values()])
    report = IssueReport(mlist.address, volume, number, len(posts), counts)
    log.info("digest %s", report.line())
    return report


def _claim(mlist: MailingList, volume: int, number: int, now: datetime) -> DigestIssue | None:
    """Insert the issue row and take the waiting posts for it; the unique number lets one process win."""
    waiting = waiting_post_ids(mlist.id)
    if not waiting:
        return None
    issue = DigestIssue(list_id=mlist.id, volume=volume, number=number, post_ids=[], created_at=now)
    db.session.add(issue)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("digest %s Vol %d Issue %d was built by another process", mlist.address, volume, number)
        return None
    taken = set(
        db.session.scalars(
            update(DigestEntry)
            .where(DigestEntry.post_id.in_(waiting), DigestEntry.issue_id.is_(None))
            .values(issue_id=issue.id)
            .returning(DigestEntry.post_id)
            .execution_options(synchronize_session=False)
        )
    )
    issue.post_ids = [post_id for post_id in waiting if post_id in taken]
    if not issue.post_ids:  # another issue took them meanwhile: no empty digest
        db.session.rollback()
        return None
    return issue


def _posts_in_order(post_ids: list[int]) -> list[Post]:
    found = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(post_ids)))}
    return [found[i] for i in post_ids if i in found]


def _store(mlist: MailingList, built: Built, now: datetime) -> Post:
    """The digest in one format as a post being distributed: fan-out, delivery and retries treat it as one."""
    post = Post(
        list_id=mlist.id,
        source=PostSource.DIGEST,
        mail_from=mlist.role_address("request"),
        raw=built.data,
        size=len(built.data),
        sha256=hashlib.sha256(built.data).hexdigest(),
        message_id=built.message_id,
        sender=mlist.role_address("request"),
        subject=built.subject,
        status=PostStatus.DISTRIBUTING,
        decision="accept",
        decision_reason="digest issue",
        prepared=built.data,
        prepared_layout=built.layout,
        received_at=now,
        decided_at=now,
        queued_at=now,
    )
    db.session.add(post)
    db.session.flush()
    return post
