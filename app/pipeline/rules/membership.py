"""Who may post: the member's own action, the list's posting policy, and its nonmember action."""

from __future__ import annotations

from app.lists.staff import is_active_staff
from app.mail import patterns
from app.models import MemberStatus, ModerationAction, NonmemberAction, PostingPolicy
from app.moderation.bans import allowed_entries
from app.pipeline.context import CONTINUE, Outcome, PostContext, accept, hold
from app.pipeline.rules.base import outcome_for

MODERATED = "The list is moderated: every post waits for a moderator."
NO_SENDER = "The post has no single valid From: address, so its sender cannot be checked against the members."
# What a member's own moderation action does to the post, as a past participle.
DONE_TO_POST = {
    ModerationAction.ACCEPT: "accepted",
    ModerationAction.HOLD: "held",
    ModerationAction.REJECT: "rejected",
    ModerationAction.DISCARD: "discarded",
}
ANNOUNCE = "Only owners, moderators and allowed senders may post to this announce-only list."


def privileged(ctx: PostContext) -> bool:
    """The author is an owner or moderator of the list, or on its allow-list of senders."""
    if not ctx.sender:
        return False
    if is_active_staff(ctx.mlist.id, ctx.sender):
        return True
    return patterns.any_match(allowed_entries(ctx.mlist.id), (ctx.sender,)) is not None


def _is_active_member(ctx: PostContext) -> bool:
    return ctx.member is not None and ctx.member.status == MemberStatus.ACTIVE


def _policy_hold(ctx: PostContext) -> Outcome | None:
    """The hold a moderated or announce-only list puts on anyone not privileged."""
    policy = ctx.mlist.posting_policy
    if policy == PostingPolicy.MODERATED and not privileged(ctx):
        return hold(MODERATED)
    if policy == PostingPolicy.ANNOUNCE and not privileged(ctx):
        return hold(ANNOUNCE)
    return None


def member_moderation(ctx: PostContext) -> Outcome:
    """An active member's own moderation action; defer leaves it to the posting policy and later rules."""
    if not _is_active_member(ctx):
        return CONTINUE
    action = ctx.member.moderation_action  # type: ignore[union-attr]
    if action == ModerationAction.ACCEPT:
        return accept(_member_setting(ctx, action))
    if action != ModerationAction.DEFER:
        return outcome_for(action, _member_setting(ctx, action))
    return _policy_hold(ctx) or CONTINUE


def nonmember_moderation(ctx: PostContext) -> Outcome:
    """A sender who is not an active member gets the list's nonmember action (allow-list excepted)."""
    if _is_active_member(ctx) or privileged(ctx):
        return CONTINUE
    policy = ctx.mlist.posting_policy
    if policy == PostingPolicy.OPEN:
        return CONTINUE
    action = ctx.mlist.nonmember_action or NonmemberAction.HOLD
    if action == NonmemberAction.ACCEPT:
        return _policy_hold(ctx) or CONTINUE
    return outcome_for(
        action, f"The sender {ctx.sender} is not a member of the list." if ctx.sender else NO_SENDER
    )


def _member_setting(ctx: PostContext, action: str) -> str:
    """The sentence for a post decided by its author's own moderation setting."""
    done = DONE_TO_POST.get(action, "held")  # type: ignore[call-overload]
    return f"Posts from the member {ctx.sender} are {done}: that is the member's own moderation setting."
