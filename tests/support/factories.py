"""Build rows for tests through the same code paths the CLI uses."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from sqlalchemy import select

from app.extensions import db
from app.membership.lines import Entry
from app.membership.members import add_members
from app.models import Delivery, ListRole, MailingList, Post, PostStatus, User
from app.pipeline.runner import process


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


def fanned_out(mlist: MailingList, raw: bytes, sender: str) -> tuple[int, list[int]]:
    """A post from sender run through the pipeline: its copies exist, pending; returns its id and theirs."""
    post = Post(
        list_id=mlist.id,
        raw=raw,
        sha256="x",
        status=PostStatus.RECEIVED,
        mail_from=sender,
        sender=sender,
    )
    db.session.add(post)
    db.session.commit()
    process(post.id)
    ids = db.session.scalars(select(Delivery.id).where(Delivery.post_id == post.id).order_by(Delivery.id))
    return post.id, list(ids)
