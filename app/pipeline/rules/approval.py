"""Rules a moderator controls: approval (panel or Approved: password) and emergency moderation."""

from __future__ import annotations

import enum

from werkzeug.security import check_password_hash

from app.pipeline.context import CONTINUE, Outcome, PostContext, accept, hold

APPROVAL_HEADERS = ("Approved", "Approve")


class ModeratorDecision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DISCARD = "discard"


def approved(ctx: PostContext) -> Outcome:
    """A moderator approved the post in the panel, or it carries the list's moderator password."""
    if ctx.post.moderator_decision == ModeratorDecision.APPROVE:
        return accept("A moderator approved the post.")
    secret = ctx.mlist.moderator_password_hash
    if not secret:
        return CONTINUE
    for name in APPROVAL_HEADERS:
        for value in ctx.msg.get_all(name):
            if value.strip() and check_password_hash(secret, value.strip()):
                return accept(f"The post carries the moderator password in {name}:.")
    return CONTINUE


def emergency(ctx: PostContext) -> Outcome:
    """Hold every post while the list is in emergency moderation."""
    return hold("The list is in emergency moderation.") if ctx.mlist.emergency else CONTINUE
