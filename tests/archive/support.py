"""Build archived messages for page tests quickly: straight into the archive, as an import would."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from app.archive.store import add_message
from app.extensions import db
from app.models import ArchivedMessage, MailingList


def mail(
    subject: str = "Hello",
    body: str = "Hi all.\n",
    message_id: str = "m1@example.org",
    sender: str = "Alice Example <alice@example.org>",
    date: str = "Tue, 03 Mar 2026 10:00:00 +0000",
    reply_to: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    html: str | None = None,
    to: str = "team@example.org",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{message_id}>"
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
        msg["References"] = f"<{reply_to}>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP)


def put(mlist: MailingList, raw: bytes) -> ArchivedMessage:
    row = add_message(mlist, raw)
    db.session.commit()
    return row
