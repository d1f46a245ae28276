"""Rules about where a post comes from: our own loop, banned addresses, our own domains spoofed."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.mail.authresults import failed, trusted_ids
from app.models import MailingList
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


def our_domains() -> set[str]:
    """The domains our lists live on, and the one we DKIM-sign as: mail From: them speaks in our name."""
    domains = set(db.session.scalars(select(MailingList.domain).distinct()))
    signing = current_app.config["MAILFLOW"].DKIM_DOMAIN.strip().lower()
    return domains | ({signing} if signing else set())


def own_domain_spoof(ctx: PostContext) -> Outcome:
    """From: one of our own domains while our MTA's Authentication-Results says DMARC failed: hold.

    Sent on, the post would leave DKIM-signed by us with our bounce address, passing DMARC as our own mail.
    """
    trusted = trusted_ids(current_app.config["MAILFLOW"].AUTHSERV_IDS)
    if ctx.author is None or not trusted or ctx.author.domain not in our_domains():
        return CONTINUE
    if not failed("dmarc", ctx.msg.get_all("Authentication-Results"), trusted):
        return CONTINUE
    return hold(
        f"The post claims to come from {ctx.author.address}, one of this site's own domains, but failed "
        "DMARC at our mail server: it may be forged. It is not sent unless a moderator approves it."
    )
