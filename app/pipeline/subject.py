"""The list's subject prefix, added once (never doubled on replies), RFC 2047-encoded when not ASCII."""

from __future__ import annotations

from app.mail.headersafety import decode, encode
from app.mail.rawmessage import RawMessage
from app.models import MailingList


def prefixed(subject: str, prefix: str) -> str | None:
    """The subject with the prefix in front, or None when the prefix is already there (Re: [list] ...)."""
    if prefix.lower() in subject.lower():
        return None
    return f"{prefix} {subject}".strip()


def subject_prefix(mlist: MailingList, msg: RawMessage) -> None:
    """Put the list's prefix in front of the (decoded) subject and re-encode it safely."""
    prefix = (mlist.subject_prefix or "").strip()
    if not prefix:
        return
    subject = prefixed(decode(msg.get("Subject")), decode(prefix))
    if subject is not None:
        msg.set("Subject", encode(subject, "Subject"))
