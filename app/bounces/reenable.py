"""Bringing a member disabled for bounces back: the member (from the manage page) or an owner (panel, CLI)."""

from __future__ import annotations

import logging

from app.bounces.scoring import DISABLED_FOR_BOUNCES, thresholds
from app.extensions import db
from app.mail.tokens import manage_url
from app.models import Member, MemberStatus
from app.sysmail.notices import build_notice, send_notice

log = logging.getLogger(__name__)


class CannotReenable(ValueError):
    """The member is not disabled (or, for the member themself, not disabled for bounces)."""


def can_reenable_self(member: Member) -> bool:
    """True when the member may turn delivery back on themself: it was stopped for bounces."""
    return member.status == MemberStatus.DISABLED and member.disabled_reason == DISABLED_FOR_BOUNCES


def reenable(member: Member, by_owner: bool = False) -> None:
    """Make a disabled member active again with a clean bounce record, and commit."""
    if not (can_reenable_self(member) or (by_owner and member.status == MemberStatus.DISABLED)):
        who = "an owner" if by_owner else "the member"
        raise CannotReenable(
            f"{member.email} is {member.status}"
            + (f" ({member.disabled_reason})" if member.disabled_reason else "")
            + f"; {who} can only re-enable a member disabled"
            + ("" if by_owner else " for bounces")
            + "."
        )
    member.status, member.disabled_reason = MemberStatus.ACTIVE, ""
    member.bounce_score, member.bounce_warned_at, member.last_bounce_at = 0.0, None, None
    db.session.commit()
    log.info(
        "%s re-enabled on list %s by %s", member.email, member.list_id, "an owner" if by_owner else "itself"
    )


def tell_member_about_bounces(member: Member) -> bool:
    """The one notice to a member past the warning threshold, with the link that re-enables delivery."""
    mlist = member.mailing_list
    _, disable = thresholds(mlist)
    stopped = member.status == MemberStatus.DISABLED
    state = (
        f"{mlist.address} has stopped sending you its mail."
        if stopped
        else f"At a score of {disable:g} {mlist.address} stops sending you its mail."
    )
    body = (
        f"Mail from {mlist.name} <{mlist.address}> to {member.email} has bounced "
        f"(bounce score {member.bounce_score:g}). {state}\n\n"
        "Out-of-office replies and delay notices never count; only refused copies do, at most one a day.\n\n"
        f"To {'turn delivery back on' if stopped else 'see your subscription'} once your mailbox accepts mail "
        f"again, open:\n\n    {manage_url(member.id)}\n"
    )
    subject = f"{mlist.name}: {'delivery to you stopped' if stopped else 'mail to you is bouncing'}"
    sent = send_notice(mlist, build_notice(mlist, member.email, subject, body, auto="auto-generated"))
    if not sent:
        log.warning("bounce notice to %s not sent", member.email)
    return sent
