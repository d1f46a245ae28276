"""Rows a benchmark needs, written in bulk through the app's own models."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from flask import Flask
from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Delivery, MailingList, Member, Post

AUTHOR = "author@example.org"
CHUNK = 5000


def member_address(index: int) -> str:
    """The address of the index-th generated member."""
    return f"member{index:06d}@example.net"


def make_list(app: Flask, address: str, members: int, name: str = "Bench") -> int:
    """A list whose first member is AUTHOR (so a post is accepted) plus `members` - 1 generated ones."""
    local, _, domain = address.partition("@")
    with app.app_context():
        mlist = MailingList(local_part=local, domain=domain, display_name=name)
        db.session.add(mlist)
        db.session.commit()
        list_id = mlist.id
        emails = [AUTHOR] + [member_address(i) for i in range(1, members)]
        for start in range(0, len(emails), CHUNK):
            rows = [
                {"list_id": list_id, "email": e, "name": f"Member {e[:12]}"}
                for e in emails[start : start + CHUNK]
            ]
            db.session.execute(insert(Member), rows)
            db.session.commit()
    return list_id


def recipients(members: int) -> set[str]:
    """Everyone make_list subscribed."""
    return {AUTHOR} | {member_address(i) for i in range(1, members)}


def make_admin(
    app: Flask, email: str = "admin@example.org", password: str = "bench-password-1"
) -> tuple[str, str]:
    """A site admin, made as `mailflow users create --admin` makes one."""
    from app.models import User

    with app.app_context():
        user = User(email=email, is_admin=True)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    return email, password


def post_bytes(to: str, size: int = 2000, subject: str = "Bench post", sender: str = AUTHOR) -> bytes:
    """A plain-text post of about size bytes with a fresh Message-ID, CRLF line ends."""
    msg = EmailMessage()
    msg["From"] = f"Author <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    line = "All work and no play makes a benchmark a dull tool.\n"
    msg.set_content(line * max(1, size // len(line)))
    return msg.as_bytes(policy=SMTP)


def count_posts(app: Flask, list_id: int) -> tuple[int, int]:
    """(posts stored for the list, distinct sha256 among them)."""
    with app.app_context():
        row = db.session.execute(
            select(func.count(Post.id), func.count(func.distinct(Post.sha256))).where(Post.list_id == list_id)
        ).one()
        db.session.remove()
        return int(row[0]), int(row[1])


def count_deliveries(app: Flask, post_id: int) -> dict[str, int]:
    """The post's delivery rows by status."""
    with app.app_context():
        rows = db.session.execute(
            select(Delivery.status, func.count()).where(Delivery.post_id == post_id).group_by(Delivery.status)
        ).all()
        db.session.remove()
        return {str(status): int(n) for status, n in rows}
