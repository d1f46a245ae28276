"""LIST-owner@: forward the message to the people who own the list, From: the list's owner address."""

from __future__ import annotations

import logging

from flask import current_app

from app.egress import Outgoing, make_sender
from app.extensions import db
from app.lists.staff import active_admins, active_staff
from app.mail.list_addresses import candidates
from app.mailcommands.forward import owner_copy
from app.mailcommands.replies import finish, retry_later
from app.models import MailingList, Post, PostStatus, Role

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
    data = owner_copy(mlist, post.raw)
    copies = [Outgoing(n, mlist.role_address("bounces"), owner, data) for n, owner in enumerate(owners)]
    sender = make_sender(current_app.config["MAILFLOW"])
    try:
        results = sender.send(copies)
    finally:
        sender.close()
    temporary = [owners[r.delivery_id] for r in results if not r.ok and not r.permanent]
    if temporary:
        # Retrying resends to every owner: a rare duplicate beats a lost message to the owners.
        post.error = f"{post.error}forward to {', '.join(temporary)} failed for now\n"
        db.session.commit()
        retry_later(post.id, 300)
        return
    refused = [f"{owners[r.delivery_id]}: {r.error}" for r in results if not r.ok]
    if refused:
        post.error = f"{post.error}refused: {'; '.join(refused)}\n"
    finish(post, PostStatus.DISTRIBUTED, f"forwarded to {len(owners) - len(refused)} owner(s)")
