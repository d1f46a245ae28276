"""Handlers transform an accepted post once, before fan-out. Each takes and mutates the raw message."""

from __future__ import annotations

from collections.abc import Callable
from email.header import Header
from email.utils import make_msgid

from app.models import MailingList
from app.pipeline.rawmessage import RawMessage
from app.tokens import public_url

Handler = Callable[[MailingList, RawMessage], None]

LOOP_MARKER = "X-MailFlow-List"
# Fields that must not reach members: other lists' List-*, our marker, moderator secrets, receipt requests.
STRIPPED = (
    LOOP_MARKER, "Approved", "Approve", "Return-Path", "Return-Receipt-To", "Disposition-Notification-To",
    "X-Confirm-Reading-To", "X-PMRQC", "Precedence", "Delivered-To", "X-Original-To",
)


def phrase(text: str) -> str:
    """A display name made safe for a header: quoted, or RFC 2047-encoded when not ASCII."""
    text = " ".join(text.replace("\x00", "").split())
    if not text.isascii():
        return Header(text, "utf-8").encode()
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cleanse_headers(mlist: MailingList, msg: RawMessage) -> None:
    """Remove incoming List-* fields and fields that must not be passed on."""
    msg.remove_prefixed("list-")
    msg.remove(*STRIPPED)


def message_id(mlist: MailingList, msg: RawMessage) -> None:
    """Keep the author's Message-ID; add one only when it is missing."""
    if not msg.get("Message-ID"):
        msg.append("Message-ID", make_msgid(domain=mlist.domain))


def list_headers(mlist: MailingList, msg: RawMessage) -> None:
    """RFC 2369/2919/8058 fields shared by every copy; List-Unsubscribe is added per recipient."""
    msg.append("List-Id", f"{phrase(mlist.name)} <{mlist.list_id}>")
    msg.append("List-Help", f"<mailto:{mlist.role_address('request')}?subject=help>")
    msg.append(
        "List-Subscribe",
        f"<{public_url('/subscribe/' + mlist.address)}>, <mailto:{mlist.role_address('join')}>",
    )
    msg.append("List-Post", f"<mailto:{mlist.address}>" if mlist.posting_policy != "announce" else "NO")
    msg.append("List-Owner", f"<mailto:{mlist.role_address('owner')}>")
    msg.append("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    msg.append("Precedence", "list")
    msg.append(LOOP_MARKER, mlist.list_id)


def _ses_from(mlist: MailingList, msg: RawMessage) -> None:
    from app.pipeline.ses_from import ses_from

    ses_from(mlist, msg)


HANDLERS: dict[str, Handler] = {
    "cleanse-headers": cleanse_headers,
    "message-id": message_id,
    "list-headers": list_headers,
    "ses-from": _ses_from,
}
