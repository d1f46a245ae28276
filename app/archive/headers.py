"""List-Archive (RFC 2369) and Archived-At (RFC 5064) on every copy of a list that has an archive."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

from sqlalchemy import select

from app.archive.permalinks import archive_url, duplicate_key, key_for, normalise_message_id, permalink
from app.archive.policy import has_archive
from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import ArchivedMessage, MailingList

ARCHIVED_AT = "Archived-At"
LIST_ARCHIVE = "List-Archive"


def planned_key(mlist: MailingList, msg: RawMessage) -> str:
    """The key this message will be archived under: its Message-ID's, or a derived one when that is taken."""
    key = key_for(normalise_message_id(msg.get("Message-ID")))
    taken = db.session.scalar(
        select(ArchivedMessage.id).where(ArchivedMessage.list_id == mlist.id, ArchivedMessage.key == key)
    )
    if taken is None:
        return key
    return duplicate_key(key, hashlib.sha256(msg.to_bytes()).hexdigest())


def archive_headers(mlist: MailingList, msg: RawMessage) -> None:
    """Replace any incoming Archived-At with ours: one List-Archive and one Archived-At, the same in every copy."""
    msg.remove(ARCHIVED_AT, LIST_ARCHIVE)
    if not has_archive(mlist):
        return
    key = planned_key(mlist, msg)
    msg.append(LIST_ARCHIVE, f"<{archive_url(mlist)}>")
    msg.append(ARCHIVED_AT, f"<{permalink(mlist, key)}>")


def stamped_key(mlist: MailingList, msg: RawMessage) -> str | None:
    """The key our own Archived-At field names, when the message carries one for this list."""
    prefix = f"<{permalink(mlist, '')}"
    for value in msg.get_all(ARCHIVED_AT):
        value = value.strip()
        if value.startswith(prefix) and value.endswith(">"):
            return unquote(value[len(prefix) : -1]) or None
    return None
