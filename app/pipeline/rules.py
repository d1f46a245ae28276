"""Moderation rules: each looks at the post and returns an Outcome. Rules decide; handlers transform."""

from __future__ import annotations

from collections.abc import Callable

from app.models import MemberStatus, ModerationAction, NonmemberAction
from app.pipeline.context import CONTINUE, Outcome, PostContext, Verdict, accept, discard, hold, reject

Rule = Callable[[PostContext], Outcome]

_ACTIONS: dict[str, Callable[[str], Outcome]] = {
    Verdict.ACCEPT: accept,
    Verdict.HOLD: hold,
    Verdict.REJECT: reject,
    Verdict.DISCARD: discard,
}


def approved(ctx: PostContext) -> Outcome:
    """A post a moderator approved in the panel goes through (see app.moderation.approve)."""
    return accept("A moderator approved the post.") if ctx.post.moderator_decision == "approve" else CONTINUE


def emergency(ctx: PostContext) -> Outcome:
    """Hold every post while the list is in emergency moderation."""
    return hold("The list is in emergency moderation.") if ctx.mlist.emergency else CONTINUE


def member_moderation(ctx: PostContext) -> Outcome:
    """An active member's post gets the member's own moderation action (defer = accept)."""
    member = ctx.member
    if member is None or member.status != MemberStatus.ACTIVE:
        return CONTINUE
    action = member.moderation_action
    if action in (ModerationAction.DEFER, ModerationAction.ACCEPT):
        return accept("The sender is an active member.")
    return _ACTIONS[action](f"The member's moderation action is {action}.")


def nonmember_moderation(ctx: PostContext) -> Outcome:
    """Anyone who is not an active member gets the list's nonmember action."""
    action = ctx.mlist.nonmember_action or NonmemberAction.HOLD
    who = ctx.sender or "an unknown sender"
    return _ACTIONS[action](f"The sender {who} is not a member of the list.")


RULES: dict[str, Rule] = {
    "approved": approved,
    "emergency": emergency,
    "member-moderation": member_moderation,
    "nonmember-moderation": nonmember_moderation,
}
