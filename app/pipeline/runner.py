"""Run a post through the phases: moderate, prepare, fan out. Any crash shunts the post, never loses it."""

from __future__ import annotations

import logging
import traceback

from sqlalchemy import select

from app.extensions import db
from app.models import Member, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline import chains
from app.pipeline.context import PostContext, Verdict
from app.pipeline.handlers import HANDLERS
from app.pipeline.rawmessage import RawMessage
from app.pipeline.recipients import fan_out
from app.pipeline.roles import processor_for
from app.pipeline.rules import RULES

log = logging.getLogger(__name__)

STATUS_FOR: dict[Verdict, PostStatus] = {
    Verdict.ACCEPT: PostStatus.ACCEPTED,
    Verdict.HOLD: PostStatus.HELD,
    Verdict.REJECT: PostStatus.REJECTED,
    Verdict.DISCARD: PostStatus.DISCARDED,
}


def process(post_id: int) -> None:
    """Advance a post as far as it can go; safe to run twice for the same post."""
    post = db.session.get(Post, post_id)
    if post is None:
        log.warning("post %s vanished before processing", post_id)
        return
    try:
        if post.role != "post":
            processor_for(post.role)(post)
            return
        if post.status == PostStatus.RECEIVED:
            moderate(post)
        if post.status == PostStatus.ACCEPTED:
            prepare(post)
        if post.status == PostStatus.DISTRIBUTING:
            fan_out(post)
    except Exception:
        db.session.rollback()
        shunt(post_id, traceback.format_exc())


def shunt(post_id: int, error: str) -> None:
    """Park a post whose processing crashed: raw bytes untouched, traceback kept."""
    log.error("post %s shunted:\n%s", post_id, error)
    post = db.session.get(Post, post_id)
    if post is not None:
        post.status = PostStatus.SHUNTED
        post.error = error
        db.session.commit()


def context_for(post: Post) -> PostContext:
    """Build the pipeline context: the list, the author and their membership."""
    sender = post.sender or post.mail_from
    member = db.session.scalar(
        select(Member).where(Member.list_id == post.list_id, Member.email == sender.lower())
    ) if sender else None
    return PostContext(post=post, mlist=post.mailing_list, sender=sender, member=member)


def moderate(post: Post) -> None:
    """Run the moderation chain: final outcomes stop it, hold reasons are all collected."""
    ctx = context_for(post)
    verdict, reason = Verdict.HOLD, "No rule accepted the post."
    for name in chains.MODERATION:
        outcome = RULES[name](ctx)
        if outcome.verdict == Verdict.CONTINUE:
            ctx.rule_misses.append(name)
            continue
        ctx.rule_hits.append(name)
        if outcome.verdict == Verdict.HOLD:
            ctx.hold_reasons.append(outcome.reason)
            continue
        verdict, reason = outcome.verdict, outcome.reason
        break
    if ctx.hold_reasons and verdict != Verdict.REJECT and verdict != Verdict.DISCARD:
        verdict, reason = Verdict.HOLD, "; ".join(ctx.hold_reasons)
    record_decision(post, ctx, verdict, reason)


def record_decision(post: Post, ctx: PostContext, verdict: Verdict, reason: str) -> None:
    """Store the decision and the trace that led to it."""
    post.rule_hits, post.rule_misses = ctx.rule_hits, ctx.rule_misses
    post.hold_reasons = ctx.hold_reasons
    post.decision, post.decision_reason = verdict.value, reason
    post.status = STATUS_FOR[verdict]
    post.decided_at = utcnow()
    db.session.commit()
    log.info("post %s: %s (%s)", post.id, verdict, reason)


def prepare(post: Post) -> None:
    """Transform the accepted post once, store the result, and mark it distributing."""
    msg = RawMessage.parse(post.raw)
    for name in chains.PREPARE:
        HANDLERS[name](post.mailing_list, msg)
    post.prepared = msg.to_bytes()
    post.status = PostStatus.DISTRIBUTING
    db.session.commit()
