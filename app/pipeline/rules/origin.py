"""Rules about where a post comes from: our own loop, banned addresses."""

from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from app.mail import patterns
from app.models import Ban
from app.pipeline.context import CONTINUE, Outcome, PostContext, discard
from app.pipeline.loopmarker import LOOP_MARKER


def loop(ctx: PostContext) -> Outcome:
    """Our own List-Id or loop marker on an incoming post means it came round again: discard."""
    ours = ctx.mlist.list_id.lower()
    if any(v.strip().lower() == ours for v in ctx.msg.get_all(LOOP_MARKER)):
        return discard("The post carries this list's loop marker: it has been through the list already.")
    if any(f"<{ours}>" in v.lower() for v in ctx.msg.get_all("List-Id")):
        return discard("The post carries this list's List-Id: it has been through the list already.")
    return CONTINUE


def banned_address(ctx: PostContext) -> Outcome:
    """The author or envelope sender matches a ban of this list or of the whole site: discard."""
    bans = db.session.scalars(
        select(Ban.pattern).where(or_(Ban.list_id == ctx.mlist.id, Ban.list_id.is_(None)))
    ).all()
    hit = patterns.any_match(bans, (ctx.sender, ctx.post.mail_from))
    return discard(f"The sender is banned (pattern {hit}).") if hit else CONTINUE
