"""Rules about where a post comes from: our own loop, banned addresses."""

from __future__ import annotations

from app.moderation.bans import banned_by
from app.pipeline.context import CONTINUE, Outcome, PostContext, discard, hold
from app.pipeline.loopmarker import LOOP_MARKER

LOOPED = (
    "Mail loop: this post has already been sent by {address} ({evidence}); it came back, probably through "
    "a list or a forward subscribed to this one. It is not sent again unless a moderator approves it."
)


def loop(ctx: PostContext) -> Outcome:
    """A post that already went through this list (our loop marker or List-Id) is never sent again: hold.

    Markers accumulate hop by hop (app/pipeline/handlers.py keeps those of other lists), so two lists
    subscribed to each other stop at the second pass instead of ping-ponging until the relays' hop limit.
    """
    ours = ctx.mlist.list_id.lower()
    if any(v.strip().lower() == ours for v in ctx.msg.get_all(LOOP_MARKER)):
        return hold(LOOPED.format(address=ctx.mlist.address, evidence=f"{LOOP_MARKER}: {ours}"))
    if any(f"<{ours}>" in v.lower() for v in ctx.msg.get_all("List-Id")):
        return hold(LOOPED.format(address=ctx.mlist.address, evidence=f"List-Id <{ours}>"))
    return CONTINUE


def banned_address(ctx: PostContext) -> Outcome:
    """The author or envelope sender falls under a ban of this list or of the whole site: discard."""
    hit = banned_by(ctx.mlist.id, ctx.sender, ctx.post.mail_from)
    return discard(f"The sender is banned (pattern {hit}).") if hit else CONTINUE
