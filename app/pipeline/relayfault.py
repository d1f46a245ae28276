"""Relay faults: when the relay refuses most copies of a batch the same way, the fault is the relay's.

Postfix answers `554 5.7.1 <x@y>: Relay access denied` for every recipient when the list host is not
allowed to relay; counting those as bounces would disable a whole list. A fault keeps the copies pending,
blames no member, and tells the site admins (panel banner, mail, `mailflow status`).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import select, update

from app.egress import SendResult
from app.extensions import db
from app.models import Post, RelayFault, User
from app.models.timestamps import utcnow
from app.sysmail.notices import build_notice, send_notice

log = logging.getLogger(__name__)
# At least this many copies of one batch refused the same way, and more than half of the batch.
MIN_SAME_REFUSALS = 3
# Refusals that are never about the recipient, even for a single copy.
RELAY_REFUSAL = re.compile(
    r"relay(ing)? (access )?(denied|not permitted|not allowed)|not permitted to relay|relaying denied",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"<[^>]*>|\S+@\S+")


def signature(error: str) -> str:
    """The refusal without its addresses, lower case, one space between words: alike for every recipient."""
    return " ".join(_ADDRESS.sub(" ", error).replace(":", " ").lower().split())[:255]


def _refused_at_rcpt(result: SendResult) -> bool:
    return not result.ok and result.permanent and result.bounce


def fault_in(results: Sequence[SendResult], open_signatures: Iterable[str] = ()) -> str | None:
    """The signature of a relay fault among these results, or None when the refusals look like bounces."""
    refusals = Counter(signature(r.error) for r in results if _refused_at_rcpt(r))
    if not refusals:
        return None
    known = set(open_signatures)
    for sig, count in refusals.most_common():
        if sig in known or RELAY_REFUSAL.search(sig):
            return sig
        if count >= MIN_SAME_REFUSALS and count * 2 > len(results):
            return sig
    return None


def is_fault(result: SendResult, fault: str) -> bool:
    """True for a copy the relay refused in the way that makes the fault."""
    return _refused_at_rcpt(result) and signature(result.error) == fault


def open_signatures() -> list[str]:
    """Signatures of the faults not cleared yet."""
    return list(db.session.scalars(select(RelayFault.signature).where(RelayFault.cleared_at.is_(None))))


def open_faults() -> list[RelayFault]:
    """Faults not cleared yet, newest first."""
    query = select(RelayFault).where(RelayFault.cleared_at.is_(None)).order_by(RelayFault.id.desc())
    return list(db.session.scalars(query))


def record_fault(fault: str, sample: str, post_id: int, copies: int) -> bool:
    """Add to the open fault with this signature, or open one; True when it is new (caller commits)."""
    now = utcnow()
    row = db.session.scalar(
        select(RelayFault).where(RelayFault.signature == fault, RelayFault.cleared_at.is_(None)).limit(1)
    )
    if row is not None:
        row.copies, row.last_seen_at = row.copies + copies, now
        return False
    db.session.add(
        RelayFault(
            signature=fault,
            sample=sample[:2000],
            post_id=post_id,
            copies=copies,
            first_seen_at=now,
            last_seen_at=now,
        )
    )
    return True


def clear_faults() -> int:
    """The relay accepted copies again: close every open fault (caller commits); returns how many."""
    result = db.session.execute(
        update(RelayFault).where(RelayFault.cleared_at.is_(None)).values(cleared_at=utcnow())
    )
    cleared = result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if cleared:
        log.warning("relay accepts copies again: %d relay fault(s) cleared", cleared)
    return cleared


def tell_admins(fault: str, sample: str, post_id: int) -> int:
    """Mail the site admins about a new relay fault (the relay may refuse this too); returns mails sent."""
    post = db.session.get(Post, post_id)
    admins = list(
        db.session.scalars(select(User.email).where(User.is_admin.is_(True), User.active.is_(True)))
    )
    if post is None or not admins:
        return 0
    body = (
        f"The outgoing relay refused the copies of post {post_id} to {post.mailing_list.address} the same "
        f"way:\n\n  {sample}\n\nNo member was counted as bouncing; the copies stay pending and are retried. "
        "Check the relay's configuration (is this host allowed to relay?). `mailflow status` shows the fault "
        "until the relay accepts copies again.\n"
    )
    subject = "MailFlow Relay: the outgoing relay refuses every recipient"
    return sum(
        send_notice(
            post.mailing_list, build_notice(post.mailing_list, a, subject, body, auto="auto-generated")
        )
        for a in admins
    )
