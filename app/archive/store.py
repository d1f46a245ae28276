"""Put messages into the archive: a distributed post once, or any raw message (import)."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import select

from app.archive import threads
from app.archive.copy import archive_copy
from app.archive.headers import stamped_key
from app.archive.months import count_added
from app.archive.permalinks import duplicate_key, key_for
from app.archive.policy import has_archive
from app.archive.summary import Summary, summarise
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import ArchivedMessage, MailingList, Post
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)


def derived(raw: bytes, summary: Summary, date: datetime) -> dict[str, object]:
    """Every column derived from the raw bytes (the key and the thread links excepted)."""
    return {
        "message_id": summary.message_id,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "subject": summary.subject,
        "subject_norm": summary.subject_norm,
        "author": summary.author,
        "author_name": summary.author_name[:255],
        "author_address": summary.author_address,
        "body_text": summary.body_text,
        "date": date,
        "month": date.strftime("%Y-%m"),
        "in_reply_to": summary.refs[0] if summary.refs else "",
        "refs": " ".join(summary.refs),
        "attachments": summary.attachments,
    }


def apply_summary(row: ArchivedMessage, summary: Summary, fallback_date: datetime | None) -> None:
    """Set the derived columns that differ (a rebuild that finds nothing to change writes nothing)."""
    values = derived(row.raw, summary, summary.date or fallback_date or row.date or utcnow())
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def key_taken(list_id: int, key: str) -> bool:
    """True when the list's archive already has a message under key."""
    found = db.session.scalar(
        select(ArchivedMessage.id).where(ArchivedMessage.list_id == list_id, ArchivedMessage.key == key)
    )
    return found is not None


def add_message(
    mlist: MailingList,
    raw: bytes,
    *,
    key: str | None = None,
    post_id: int | None = None,
    fallback_date: datetime | None = None,
) -> ArchivedMessage:
    """Store raw in the list's archive: flushed, threaded and counted in its month, not committed.

    An import does not come this way: it inserts prepared rows in batches (import_row) and threads and
    counts them all at the end.
    """
    summary = summarise(raw)
    key = key or key_for(summary.message_id)
    if key_taken(mlist.id, key):
        key = duplicate_key(key, hashlib.sha256(raw).hexdigest())
    values = derived(raw, summary, summary.date or fallback_date or utcnow())
    row = ArchivedMessage(list_id=mlist.id, post_id=post_id, key=key, raw=raw, **values)
    db.session.add(row)
    db.session.flush()
    threads.attach(row)
    count_added(mlist.id, row.month)
    return row


def import_row(list_id: int, raw: bytes, values: dict[str, object], taken: set[str]) -> dict[str, object]:
    """The column values of one imported message (values: derived()), its key free among taken (which then holds it)."""
    key = key_for(str(values["message_id"]))
    if key in taken:
        key = duplicate_key(key, str(values["sha256"]))
    taken.add(key)
    return {"list_id": list_id, "key": key, "raw": raw, "archived_at": utcnow(), **values}


def archive_post(post: Post) -> ArchivedMessage | None:
    """Archive a distributed post once, as it was sent to the list; None when its list keeps no archive."""
    mlist = post.mailing_list
    if post.prepared is None or not has_archive(mlist):
        return None
    existing = db.session.scalar(select(ArchivedMessage).where(ArchivedMessage.post_id == post.id))
    if existing is not None:
        return existing
    raw = archive_copy(post)
    return add_message(
        mlist,
        raw,
        key=stamped_key(mlist, RawMessage.parse(raw)),
        post_id=post.id,
        fallback_date=post.received_at,
    )


def archive_post_safely(post: Post) -> ArchivedMessage | None:
    """archive_post inside a savepoint: a failure is logged and left to the reconciler, distribution goes on."""
    try:
        with db.session.begin_nested():
            return archive_post(post)
    except Exception:
        log.exception("post %s: not archived now; the reconciler tries again", post.id)
        return None
