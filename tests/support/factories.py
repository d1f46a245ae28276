"""Build rows for tests through the same code paths the CLI uses."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from app.extensions import db
from app.membership.lines import Entry
from app.membership.members import add_members
from app.models import ListRole, MailingList, User


def make_list(address: str = "team@example.org", name: str = "Team", **settings) -> MailingList:
    local, _, domain = address.partition("@")
    mlist = MailingList(local_part=local, domain=domain, display_name=name, **settings)
    db.session.add(mlist)
    db.session.commit()
    return mlist


def make_members(mlist: MailingList, *emails: str) -> None:
    add_members(mlist.id, [Entry(email, "") for email in emails])
    db.session.commit()


def make_user(
    email: str,
    password: str = "correct horse battery",
    admin: bool = False,
    roles: dict[MailingList, str] | None = None,
) -> User:
    user = User(email=email, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    for mlist, role in (roles or {}).items():
        db.session.add(ListRole(user_id=user.id, list_id=mlist.id, role=role))
    db.session.commit()
    return user


def message(
    sender: str = "alice@example.org",
    to: str = "team@example.org",
    subject: str = "Hello",
    body: str = "Hi all.\n",
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP)  # CRLF, as an MTA sends it
