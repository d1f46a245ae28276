"""LIST-owner@: forward the message, untouched, to the people who own the list."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.mail.list_addresses import candidates
from app.mailcommands.replies import finish
from app.models import ListRole, MailingList, Post, PostStatus, Role, SystemMailKind, User
from app.sysmail.outbox import send_stored_rows, store

log = logging.getLogger(__name__)


def owner_addresses(mlist: MailingList) -> list[str]:
    """Active users with the owner role on the list; the site admins when the list has no owner."""
    owners = list(
        db.session.scalars(
            select(User.email)
            .join(ListRole, ListRole.user_id == User.id)
            .where(ListRole.list_id == mlist.id, ListRole.role == Role.OWNER, User.active.is_(True))
            .order_by(User.email)
        )
    )
    if owners:
        return owners
    return list(
        db.session.scalars(
            select(User.email).where(User.is_admin.is_(True), User.active.is_(True)).order_by(User.email)
        )
    )


def _from_this_list(mlist: MailingList, address: str) -> bool:
    return any(r.local_part == mlist.local_part and r.domain == mlist.domain for r in candidates(address))


def forward_to_owners(post: Post) -> None:
    """ROLE_PROCESSORS entry for LIST-owner@; envelope sender LIST-bounces@ so failures never hit the author."""
    if post.status != PostStatus.RECEIVED:
        return
    mlist = post.mailing_list
    if _from_this_list(mlist, post.mail_from):
        finish(post, PostStatus.DISCARDED, "sent by this list itself: not forwarded (mail loop)")
        return
    owners = [a for a in owner_addresses(mlist) if not _from_this_list(mlist, a)]
    if not owners:
        log.warning(
            "post %s to %s: the list has no owner and the site no admin; kept, not forwarded",
            post.id,
            mlist.role_address("owner"),
        )
        finish(post, PostStatus.DISCARDED, "no owner to forward to")
        return
    # One outbox message per owner, stored with the decision: each is sent and retried on its own.
    bounces = mlist.role_address("bounces")
    copies = [store(SystemMailKind.FORWARD, bounces, owner, post.raw, mlist.id) for owner in owners]
    finish(post, PostStatus.DISTRIBUTED, f"forwarded to {len(owners)} owner(s)")
    send_stored_rows(copies)
