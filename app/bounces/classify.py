"""What a message to the bounce address is: a failure, a delay notice, an automatic reply, or unreadable.

Only failures may count against a member. A DSN whose recipients were all delayed (or delivered) reports no
failure; an out-of-office reply, a vacation notice or a challenge-response robot says nothing about the
address; and a message in which no failed recipient can be found proves nothing either (Mailman, too,
scores unrecognised bounces nothing). All of them are recorded for the owner to see.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import cast

from app.models import BounceKind

DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
FAILED_ACTIONS = {"failed", "failure", "error"}  # RFC 3464 says "failed"; older MTAs wrote the others
# Plain-text delay warnings of MTAs that send no DSN (sendmail, Exim, qmail warnings).
DELAY_SUBJECT = re.compile(
    r"^\s*(warning: could not send message|delayed mail|message delayed|mail delivery delayed|"
    r"delivery (status notification|notification)\s*\(delay\)|delivery delay)",
    re.IGNORECASE,
)
# RFC 3834 and the fields and subjects the common responders (Exchange, Gmail, vacation(1)) use.
AUTO_REPLY_FIELDS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Challenge", "X-TMDA")
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|auto:|out of (the )?office|abwesenheit|"
    r"vacation|away from|on leave|r[eé]ponse automatique|please confirm|confirm your message|"
    r"verify your (email|message)|challenge)",
    re.IGNORECASE,
)


def dsn_actions(msg: Message) -> list[str]:
    """The first word of the Action of every recipient block of the delivery-status parts, lower-cased."""
    actions: list[str] = []
    for part in msg.walk():
        if part.get_content_type() in DSN_TYPES and part.is_multipart():
            for block in cast(list[Message], part.get_payload()):
                words = str(block.get("Action", "")).split()
                actions += [words[0].lower()] if words else []
    return actions


def is_dsn(msg: Message) -> bool:
    """True for a delivery status notification (RFC 3464), with or without recipient blocks we can read."""
    return msg.get_content_type() == "multipart/report" or any(
        part.get_content_type() in DSN_TYPES for part in msg.walk()
    )


def looks_automatic(msg: Message) -> bool:
    """True when fields or subject mark the message as an automatic reply (bounces carry some of these too)."""
    auto_submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    return (
        auto_submitted.startswith("auto-replied")
        or precedence == "auto_reply"
        or any(msg.get(name) is not None for name in AUTO_REPLY_FIELDS)
        or bool(AUTO_REPLY_SUBJECT.search(str(msg.get("Subject", ""))))
    )


def nature(msg: Message, failed_found: bool) -> BounceKind | None:
    """DELAYED, AUTO_REPLY or UNRECOGNISED for messages that must score nothing; None for a failure report."""
    actions = set(dsn_actions(msg))
    if actions:
        return None if actions & FAILED_ACTIONS else BounceKind.DELAYED
    subject = str(msg.get("Subject", ""))
    if DELAY_SUBJECT.search(subject):
        return BounceKind.DELAYED
    dsn = is_dsn(msg)
    if not dsn and AUTO_REPLY_SUBJECT.search(subject):
        return BounceKind.AUTO_REPLY  # even when an address in its text looks like a failed recipient
    if failed_found:
        return None
    if not dsn and looks_automatic(msg):
        return BounceKind.AUTO_REPLY
    return BounceKind.UNRECOGNISED  # nobody can tell what failed: Mailman, too, scores it nothing
