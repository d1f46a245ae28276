"""LIST-owner@: forward the message to the people who own the list, From: the list's owner address."""

from __future__ import annotations

import logging

from app.lists.staff import active_admins, active_staff
from app.mail.list_addresses import candidates
from app.mailcommands.forward import owner_copy
from app.mailcommands.replies import finish
from app.models import MailingList, Post, PostStatus, Role, SystemMailKind
from app.sysmail.outbox import send_stored_rows, store

log = logging.getLogger(__name__)


def owner_addresses(mlist: MailingList) -> list[str]:
    """Active users with the owner role on the list; the active site admins when the list has none."""
    return active_staff(mlist.id, (Role.OWNER,)) or active_admins()


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
    data = owner_copy(mlist, post.raw)
    copies = [store(SystemMailKind.FORWARD, bounces, owner, data, mlist.id) for owner in owners]
    finish(post, PostStatus.DISTRIBUTED, f"forwarded to {len(owners)} owner(s)")
    send_stored_rows(copies)
