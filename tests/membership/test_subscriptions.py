"""Subscription policies: open, confirm, moderate, confirm_then_moderate; unsubscribe with and without confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.membership.subscriptions import (
    Result,
    approve,
    confirm,
    confirmation_links,
    request_subscription,
    request_unsubscription,
)
from app.models import MemberStatus, PendingAction
from app.models.timestamps import utcnow
from tests.support.factories import make_list


@pytest.mark.parametrize(
    ("policy", "result", "status", "pending"),
    [
        ("open", Result.SUBSCRIBED, MemberStatus.ACTIVE, PendingAction.NONE),
        ("confirm", Result.CONFIRMATION_SENT, MemberStatus.PENDING, PendingAction.CONFIRM),
        ("moderate", Result.AWAITING_APPROVAL, MemberStatus.PENDING, PendingAction.APPROVAL),
        ("confirm_then_moderate", Result.CONFIRMATION_SENT, MemberStatus.PENDING, PendingAction.CONFIRM),
    ],
)
def test_request_follows_the_policy(app, policy, result, status, pending):
    mlist = make_list(subscription_policy=policy)
    got, member = request_subscription(mlist, "ann@example.net", "Ann")
    assert (got, member.status, member.pending) == (result, status, pending)


def test_confirm_activates_and_token_fits_an_address(app):
    mlist = make_list(subscription_policy="confirm")
    _, member = request_subscription(mlist, "ann@example.net")
    reply_to, link = confirmation_links(mlist, member)
    assert len(reply_to.partition("@")[0]) <= 64
    assert link == f"https://lists.example.org/confirm/{member.confirm_token}"
    assert confirm(member.confirm_token)[0] == Result.SUBSCRIBED
    assert member.status == MemberStatus.ACTIVE and member.confirm_token is None


def test_confirm_then_moderate_needs_both(app):
    mlist = make_list(subscription_policy="confirm_then_moderate")
    _, member = request_subscription(mlist, "ann@example.net")
    assert confirm(member.confirm_token)[0] == Result.AWAITING_APPROVAL
    assert member.status == MemberStatus.PENDING
    approve(member)
    assert member.status == MemberStatus.ACTIVE


def test_expired_or_unknown_token_is_refused(app):
    mlist = make_list(subscription_policy="confirm")
    _, member = request_subscription(mlist, "ann@example.net")
    token = member.confirm_token
    member.token_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert confirm(token)[0] == Result.INVALID_TOKEN
    assert confirm("nonsense")[0] == Result.INVALID_TOKEN
    assert confirm("")[0] == Result.INVALID_TOKEN
    assert member.status == MemberStatus.PENDING


def test_already_member_and_unsubscribe(app):
    mlist = make_list(subscription_policy="open")
    request_subscription(mlist, "ann@example.net")
    assert request_subscription(mlist, "ann@example.net")[0] == Result.ALREADY_MEMBER
    result, member = request_unsubscription(mlist, "ann@example.net", confirm=True)
    assert result == Result.CONFIRMATION_SENT and member.pending == PendingAction.UNSUBSCRIBE
    assert confirm(member.confirm_token)[0] == Result.UNSUBSCRIBED
    assert member.status == MemberStatus.UNSUBSCRIBED
    assert request_unsubscription(mlist, "ann@example.net", confirm=False)[0] == Result.NOT_MEMBER
    # A known address comes back only by confirming, even on an open list (issue 12 item 3).
    result, member = request_subscription(mlist, "ann@example.net")
    assert result == Result.CONFIRMATION_SENT and member.status == MemberStatus.UNSUBSCRIBED
    assert confirm(member.confirm_token)[0] == Result.SUBSCRIBED
