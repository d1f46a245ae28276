"""The notice sent when a webhook is disabled after repeated failure: to the site admins (and the owners
of its list), through the one system-mail path (app/sysmail/outbox.py), marked Auto-Submitted."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app

from app.extensions import db
from app.lists.staff import active_admins, active_staff
from app.models import MailingList, Role, SystemMailKind, Webhook
from app.sysmail.notices import allow_notice, build_notice, send_notice
from app.sysmail.outbox import send_now

log = logging.getLogger(__name__)


def _site_notice(to: str, subject: str, body: str) -> bool:
    """A notice that belongs to no list: from mailflow@ the panel's host, null envelope sender (RFC 3834)."""
    if not allow_notice(to):
        return False
    host = urlsplit(current_app.config["MAILFLOW"].PUBLIC_URL).hostname or "localhost"
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"] = f"MailFlow Relay <mailflow@{host}>", to, subject
    msg["Date"], msg["Message-ID"] = formatdate(localtime=False), make_msgid(domain=host)
    msg["Auto-Submitted"], msg["Precedence"] = "auto-generated", "bulk"
    msg.set_content(body)
    return send_now(SystemMailKind.NOTICE, "", to, msg.as_bytes(policy=SMTP), None)


def tell_webhook_disabled(hook: Webhook) -> int:
    """Mail the admins (and the list's owners) that hook was disabled; returns notices sent now."""
    mlist = db.session.get(MailingList, hook.list_id) if hook.list_id is not None else None
    people = set(active_admins()) | (set(active_staff(mlist.id, (Role.OWNER,))) if mlist else set())
    subject = (
        f"MailFlow Relay: webhook {hook.id} disabled after {hook.consecutive_failures} failed deliveries"
    )
    body = (
        f"The webhook to {hook.url} failed {hook.consecutive_failures} deliveries in a row (each retried for "
        "about a day) and is now disabled: no further events are sent to it.\n\nThe panel's Webhooks page "
        "shows its delivery log with the response codes. Fix the receiver, then enable the webhook again "
        "there (or remove it).\n"
    )
    sent = 0
    for person in sorted(people):
        if mlist is not None:
            sent += send_notice(mlist, build_notice(mlist, person, subject, body, auto="auto-generated"))
        else:
            sent += _site_notice(person, subject, body)
    if not people:
        log.warning("webhook %d disabled and there is no admin to tell", hook.id)
    return sent
