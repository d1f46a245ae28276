"""Mail the system itself writes (confirmations, notices): RFC 3834-marked and never sent to automata.

It leaves through app/sysmail/outbox.py, the one path for system mail (shared rate limit, retries)."""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail.authresults import failed, trusted_ids
from app.mail.rawmessage import RawMessage
from app.models import MailingList, NoticeCount, SystemMailKind
from app.models.timestamps import utcnow
from app.sysmail.outbox import send_now

log = logging.getLogger(__name__)
NULL_SENDERS = {"", "<>", "mailer-daemon", "postmaster"}
BULK_PRECEDENCE = {"bulk", "list", "junk"}
NOTICES_PER_DAY = 10  # per recipient address: automatic mail must never flood anyone


def allow_notice(address: str, limit: int = NOTICES_PER_DAY) -> bool:
    """Count one notice to address today; False (and nothing counted) once today's limit is reached."""
    address, today = address.strip().lower(), utcnow().date()
    for _ in range(2):  # a concurrent first insert for the same address and day: count again
        count = db.session.scalar(
            select(NoticeCount.count).where(NoticeCount.address == address, NoticeCount.day == today)
        )
        if count is not None and count >= limit:
            return False
        try:
            if count is None:
                db.session.add(NoticeCount(address=address, day=today, count=1))
            else:
                db.session.execute(
                    update(NoticeCount)
                    .where(
                        NoticeCount.address == address, NoticeCount.day == today, NoticeCount.count < limit
                    )
                    .values(count=NoticeCount.count + 1)
                )
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
    return False


def may_auto_reply(mail_from: str, raw: bytes) -> bool:
    """RFC 3834: no automatic reply to a null sender, to automatic mail, or to list/bulk mail."""
    local = mail_from.strip().strip("<>").partition("@")[0].lower()
    if mail_from.strip() in ("", "<>") or local in NULL_SENDERS or local.endswith("-bounces"):
        return False
    head = RawMessage.parse(raw)
    auto = (head.get("Auto-Submitted") or "no").strip().lower()
    precedence = (head.get("Precedence") or "").strip().lower()
    if auto != "no" or precedence in BULK_PRECEDENCE:
        return False
    return not any(head.get(name) for name in ("List-Id", "X-Autoreply", "X-Autorespond"))


def sender_forged(raw: bytes) -> bool:
    """A trusted Authentication-Results says SPF or DMARC failed: a reply would be backscatter."""
    trusted = trusted_ids(current_app.config["MAILFLOW"].AUTHSERV_IDS)
    results = RawMessage.parse(raw).get_all("Authentication-Results")
    return failed("spf", results, trusted) or failed("dmarc", results, trusted)


def build_notice(
    mlist: MailingList,
    to: str,
    subject: str,
    body: str,
    *,
    auto: str = "auto-replied",
    in_reply_to: str = "",
    reply_to: str = "",
) -> EmailMessage:
    """A plain-text notice from the list's -owner address, marked Auto-Submitted."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=" ".join(mlist.name.split()), addr_spec=mlist.role_address("owner"))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=mlist.domain)
    msg["Auto-Submitted"] = auto
    msg["Precedence"] = "bulk"
    msg["List-Id"] = f"<{mlist.list_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg.set_content(body)
    return msg


def send_notice(mlist: MailingList, msg: EmailMessage, kind: SystemMailKind = SystemMailKind.NOTICE) -> bool:
    """Store and send a notice (app/sysmail/outbox.py), envelope sender LIST-bounces@; True when accepted now
    (a temporary failure is retried).

    Every automatic mail goes through here and counts against its recipient's daily cap (allow_notice):
    confirmations, notices and replies alike, so no way in can be used to flood one address.
    """
    if not allow_notice(str(msg["To"])):
        log.info("notice to %s not sent: the daily limit of automatic mail to it is reached", msg["To"])
        return False
    return send_now(kind, mlist.role_address("bounces"), str(msg["To"]), msg.as_bytes(policy=SMTP), mlist.id)
