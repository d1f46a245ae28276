"""Digest tests: a list with members in every delivery mode, posts run through the real pipeline."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import DeliveryMode, MailingList, Member, Post
from app.pipeline.runner import process
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, message

MODES = {
    "reg@example.net": DeliveryMode.REGULAR,
    "mime@example.net": DeliveryMode.MIME_DIGEST,
    "plain@example.net": DeliveryMode.PLAIN_DIGEST,
    "none@example.net": DeliveryMode.NOMAIL,
    "away@example.net": DeliveryMode.MIME_DIGEST,  # on vacation
}


def digest_list(**settings) -> MailingList:
    """team@example.org (members post, nonmembers are held), with one member in each mode (and one digest reader away)."""
    mlist = make_list("team@example.org", archive_policy="public", **settings)
    make_members(mlist, *MODES)
    for member in db.session.scalars(select(Member).where(Member.list_id == mlist.id)):
        member.delivery_mode = MODES[member.email]
        if member.email == "away@example.net":
            member.vacation_until = date.today() + timedelta(days=7)
    db.session.commit()
    return mlist


def distribute(
    mlist: MailingList, subject: str, body: str = "Hi all.\n", sender: str = "reg@example.net"
) -> Post:
    """A post through the real pipeline (decide, prepare, fan out; jobs run by the caller's worker)."""
    post = store_post(mlist, message(sender=sender, subject=subject, body=body), sender)
    process(post.id)
    db.session.refresh(post)
    return post
