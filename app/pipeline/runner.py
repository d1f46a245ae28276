"""Run a post through the phases: decide, prepare, fan out. Any crash shunts the post, never loses it."""

from __future__ import annotations

import logging
import traceback

from sqlalchemy import select

from app.archive.store import archive_post_safely
from app.digests.entries import note_post
from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.authors import parse_mailbox
from app.mail.list_addresses import AddressRole
from app.mail.rawmessage import RawMessage
from app.metrics.instruments import post_decided
from app.models import Member, Post, PostStatus
from app.models.timestamps import utcnow
from app.pipeline import chains, decorate
from app.pipeline.context import PostContext, Verdict
from app.pipeline.dispositions import dispose
from app.pipeline.handlers import HANDLERS
from app.pipeline.recipients import fan_out
from app.pipeline.roles import processor_for
from app.pipeline.rules import RULES
from app.webhooks.events import WebhookEvent, emit, post_data

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
        if post.role != AddressRole.POST:
            processor_for(post.role)(post)
            return
        if post.status == PostStatus.RECEIVED:
            decide(post)
            dispose(post)
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
        post_decided(post.source, PostStatus.SHUNTED)


def _envelope_sender(mail_from: str) -> str:
    try:
        return normalise_address(mail_from.strip().strip("<>")) if mail_from.strip("<> ") else ""
    except InvalidAddress:
        return ""


def context_for(post: Post) -> PostContext:
    """Build the pipeline context: the parsed message, its strictly parsed author and their membership.

    A From: we cannot parse strictly leaves the sender unknown (a nonmember); only a post without any
    From: falls back to the envelope sender.
    """
    msg = RawMessage.parse(post.raw)
    authors = msg.get_all("From")
    author = parse_mailbox(authors[0]) if len(authors) == 1 else None
    sender = author.address if author else ("" if authors else _envelope_sender(post.mail_from))
    member = (
        db.session.scalar(select(Member).where(Member.list_id == post.list_id, Member.email == sender))
        if sender
        else None
    )
    return PostContext(
        post=post, mlist=post.mailing_list, sender=sender, member=member, msg=msg, author=author
    )


def decide(post: Post) -> None:
    """Decide with the rule chain: accept, reject and discard stop it; hold reasons are all collected."""
    ctx = context_for(post)
    verdict, reason = Verdict.ACCEPT, "No rule held the post."
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
    if ctx.hold_reasons and verdict not in (Verdict.REJECT, Verdict.DISCARD):
        verdict, reason = Verdict.HOLD, "; ".join(ctx.hold_reasons)
    record_decision(post, ctx, verdict, reason)


def record_decision(post: Post, ctx: PostContext, verdict: Verdict, reason: str) -> None:
    """Store the decision and the trace that led to it."""
    post.rule_hits, post.rule_misses = ctx.rule_hits, ctx.rule_misses
    post.hold_reasons = ctx.hold_reasons
    post.decision, post.decision_reason = verdict.value, reason
    post.status = STATUS_FOR[verdict]
    post.decided_at = utcnow()
    if post.status == PostStatus.HELD:
        emit(WebhookEvent.POST_HELD, post.list_id, post_data(post))
    db.session.commit()
    post_decided(post.source, post.status)
    log.info("post %s: %s (%s)", post.id, verdict, reason)


def prepare_bytes(post: Post) -> tuple[bytes, list[dict] | None]:
    """The transformed message (every PREPARE handler, in order) and its decoration layout."""
    msg = RawMessage.parse(post.raw)
    for name in chains.PREPARE:
        HANDLERS[name](post.mailing_list, msg)
    return decorate.plan(post.mailing_list, msg.to_bytes())


def prepare(post: Post) -> None:
    """Transform the accepted post once, store the result, archive it, and mark it distributing.

    The archive row is committed with the status change, so no crash can leave a distributed post out of
    the archive; if archiving itself fails, distribution goes on and the reconciler archives it later.
    """
    post.prepared, post.prepared_layout = prepare_bytes(post)
    post.status = PostStatus.DISTRIBUTING
    archive_post_safely(post)
    note_post(post)  # with the status change: no distributed post can miss its list's digest
    db.session.commit()
