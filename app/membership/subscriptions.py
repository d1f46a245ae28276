"""Subscribing and unsubscribing by the list's policy, shared by the web pages and the email commands."""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.membership.greetings import confirmation_links, send_goodbye, send_welcome
from app.models import MailingList, Member, MemberStatus, PendingAction, SubscriptionPolicy
from app.models.timestamps import utcnow
from app.moderation.bans import banned_by
from app.sysmail.staff_notices import announce_request
from app.webhooks.events import WebhookEvent, emit, member_data

__all__ = [
    "Result",
    "approve",
    "confirm",
    "confirmation_links",
    "invite",
    "request_subscription",
    "unsubscribe",
]

TOKEN_LIFETIME = timedelta(days=7)
MODERATED_POLICIES = (SubscriptionPolicy.MODERATE, SubscriptionPolicy.CONFIRM_THEN_MODERATE)


class Result(enum.StrEnum):
    SUBSCRIBED = "subscribed"
    CONFIRMATION_SENT = "confirmation_sent"
    AWAITING_APPROVAL = "awaiting_approval"
    ALREADY_MEMBER = "already_member"
    UNSUBSCRIBED = "unsubscribed"
    NOT_MEMBER = "not_member"
    INVALID_TOKEN = "invalid_token"
    BANNED = "banned"


def _member(mlist: MailingList, email: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.list_id == mlist.id, Member.email == email))


def _issue_token(member: Member, action: PendingAction) -> None:
    """A confirmation token; a repeated request for the same action reuses the live one, so the link in
    every mail sent so far keeps working until one of them is used (and each request extends its life)."""
    live = (
        member.pending == action
        and member.confirm_token
        and member.token_expires_at is not None
        and member.token_expires_at > utcnow()
    )
    member.pending = action
    if not live:
        member.confirm_token = secrets.token_hex(12)
    member.token_expires_at = utcnow() + TOKEN_LIFETIME


def request_subscription(mlist: MailingList, email: str, name: str = "") -> tuple[Result, Member | None]:
    """Start or finish a subscription per the list's policy; email must already be normalised.

    A banned address gets BANNED and nothing is stored. A request for an address already on the roster
    (disabled, unsubscribed, pending) changes nothing about that member but a confirmation token: anyone
    can ask, so only the address itself may bring it back, whatever the policy. The caller sends the
    confirmation mail when the result is CONFIRMATION_SENT (see confirmation_links).
    """
    if banned_by(mlist.id, email):
        return Result.BANNED, None
    member = _member(mlist, email)
    if member is not None and member.status == MemberStatus.ACTIVE:
        return Result.ALREADY_MEMBER, member
    if member is not None:
        _issue_token(member, PendingAction.CONFIRM)
        db.session.commit()
        return Result.CONFIRMATION_SENT, member
    member = Member(list_id=mlist.id, email=email, name=name, status=MemberStatus.PENDING)
    db.session.add(member)
    policy = mlist.subscription_policy
    if policy in (SubscriptionPolicy.CONFIRM, SubscriptionPolicy.CONFIRM_THEN_MODERATE):
        _issue_token(member, PendingAction.CONFIRM)
        result = Result.CONFIRMATION_SENT
    elif policy == SubscriptionPolicy.MODERATE:
        member.pending = PendingAction.APPROVAL
        result = Result.AWAITING_APPROVAL
    else:
        _activate(member)
        result = Result.SUBSCRIBED
    db.session.commit()
    if result == Result.SUBSCRIBED:
        send_welcome(member)
    elif result is Result.AWAITING_APPROVAL:
        announce_request(member)
    return result, member


def invite(mlist: MailingList, email: str, name: str = "") -> Member | None:
    """An owner's invitation: a pending member with a token only its confirmation turns into a membership.

    None (nothing stored) for an active member or a banned address. The caller mails the invitation.
    """
    if banned_by(mlist.id, email):
        return None
    member = _member(mlist, email)
    if member is not None and member.status == MemberStatus.ACTIVE:
        return None
    if member is None:
        member = Member(list_id=mlist.id, email=email, name=name, status=MemberStatus.PENDING)
        db.session.add(member)
    _issue_token(member, PendingAction.INVITE)
    db.session.commit()
    return member


def request_unsubscription(mlist: MailingList, email: str, confirm: bool) -> tuple[Result, Member | None]:
    """Unsubscribe at once, or (confirm=True) issue a token the member must confirm."""
    member = _member(mlist, email)
    if member is None or member.status not in (MemberStatus.ACTIVE, MemberStatus.DISABLED):
        return Result.NOT_MEMBER, member
    if confirm:
        _issue_token(member, PendingAction.UNSUBSCRIBE)
        db.session.commit()
        return Result.CONFIRMATION_SENT, member
    unsubscribe(member)
    return Result.UNSUBSCRIBED, member


def confirm(token: str) -> tuple[Result, Member | None]:
    """Act on a confirmation token from a link or a LIST-confirm+TOKEN@ reply."""
    member = db.session.scalar(select(Member).where(Member.confirm_token == token)) if token else None
    if member is None or member.token_expires_at is None or member.token_expires_at < utcnow():
        return Result.INVALID_TOKEN, member
    action = member.pending
    member.confirm_token, member.token_expires_at = None, None
    if action == PendingAction.UNSUBSCRIBE:
        unsubscribe(member)
        return Result.UNSUBSCRIBED, member
    if banned_by(member.list_id, member.email):  # banned after asking: the token is spent, nothing else
        member.pending = PendingAction.NONE
        db.session.commit()
        return Result.BANNED, member
    # An invitation came from an owner: accepting it needs no second approval.
    if action != PendingAction.INVITE and member.mailing_list.subscription_policy in MODERATED_POLICIES:
        member.pending = PendingAction.APPROVAL
        db.session.commit()
        announce_request(member)
        return Result.AWAITING_APPROVAL, member
    _activate(member)
    db.session.commit()
    send_welcome(member)
    return Result.SUBSCRIBED, member


def approve(member: Member) -> None:
    """A list owner or moderator approves a pending subscription."""
    _activate(member)
    db.session.commit()
    send_welcome(member)


def unsubscribe(member: Member) -> None:
    """End a membership (the row stays, for the record and for re-subscription); the list's goodbye follows."""
    member.status, member.pending = MemberStatus.UNSUBSCRIBED, PendingAction.NONE
    member.confirm_token, member.token_expires_at = None, None
    emit(WebhookEvent.MEMBER_UNSUBSCRIBED, member.list_id, member_data(member))
    db.session.commit()
    send_goodbye(member)


def _activate(member: Member) -> None:
    member.status, member.pending = MemberStatus.ACTIVE, PendingAction.NONE
    member.disabled_reason = ""
    emit(WebhookEvent.MEMBER_SUBSCRIBED, member.list_id, member_data(member))
