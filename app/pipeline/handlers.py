"""Handlers transform an accepted post once, before fan-out. Each takes and mutates the raw message."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import make_msgid

from app.archive.headers import archive_headers
from app.mail.authors import phrase
from app.mail.headersafety import defuse_field
from app.mail.rawmessage import RawMessage
from app.mail.tokens import public_url
from app.models import MailingList, PostingPolicy
from app.pipeline.contentfilter import content_filter
from app.pipeline.dmarc import dmarc
from app.pipeline.loopmarker import LOOP_MARKER
from app.pipeline.replyto import reply_to
from app.pipeline.ses_from import ses_from
from app.pipeline.subject import subject_prefix

Handler = Callable[[MailingList, RawMessage], None]

# Fields that must not reach members: moderator secrets, receipt requests, delivery traces.
# The loop marker is kept: each list adds its own, so a post that comes round again is recognised.
STRIPPED = (
    "Approved",
    "Approve",
    "Return-Path",
    "Return-Receipt-To",
    "Disposition-Notification-To",
    "X-Confirm-Reading-To",
    "X-PMRQC",
    "Precedence",
    "Delivered-To",
    "X-Original-To",
)
FIELD_NAME = re.compile(r"[!-9;-~]+")


def cleanse_headers(mlist: MailingList, msg: RawMessage) -> None:
    """Remove incoming List-* fields and fields that must not be passed on."""
    msg.remove_prefixed("list-")
    msg.remove(*STRIPPED)


def message_id(mlist: MailingList, msg: RawMessage) -> None:
    """Keep the author's Message-ID; add one only when it is missing."""
    if not (msg.get("Message-ID") or "").strip():
        msg.remove("Message-ID")
        msg.append("Message-ID", make_msgid(domain=mlist.domain))


def list_headers(mlist: MailingList, msg: RawMessage) -> None:
    """RFC 2369/2919/8058 fields shared by every copy; List-Unsubscribe is added per recipient."""
    msg.append("List-Id", f"{phrase(mlist.name)} <{mlist.list_id}>")
    msg.append("List-Help", f"<mailto:{mlist.role_address('request')}?subject=help>")
    msg.append(
        "List-Subscribe",
        f"<{public_url('/subscribe/' + mlist.address)}>, <mailto:{mlist.role_address('join')}>",
    )
    msg.append(
        "List-Post", "NO" if mlist.posting_policy == PostingPolicy.ANNOUNCE else f"<mailto:{mlist.address}>"
    )
    msg.append("List-Owner", f"<mailto:{mlist.role_address('owner')}>")
    msg.append("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    msg.append("Precedence", "list")
    msg.append(LOOP_MARKER, mlist.list_id)


def validate_headers(mlist: MailingList, msg: RawMessage) -> None:
    """Every outgoing field re-checked: a sane name, no NUL, no encoded CR/LF (CVE-2024-6923)."""
    kept = []
    for name, data in msg.fields:
        field_name = data.split(b":", 1)[0].strip()
        if not FIELD_NAME.fullmatch(field_name.decode("latin-1")):
            continue
        kept.append((name, defuse_field(data)))
    msg.fields = kept


HANDLERS: dict[str, Handler] = {
    "cleanse-headers": cleanse_headers,
    "message-id": message_id,
    "content-filter": content_filter,
    "subject-prefix": subject_prefix,
    "reply-to": reply_to,
    "dmarc": dmarc,
    "list-headers": list_headers,
    "archive-headers": archive_headers,
    "ses-from": ses_from,
    "validate-headers": validate_headers,
}
