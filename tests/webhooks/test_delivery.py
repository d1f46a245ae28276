"""Webhook deliveries end to end: emitted by real service calls, sent by a real RQ worker to a real
receiver on loopback that checks the signature with its own verifier; retries, failure and disabling."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.membership.subscriptions import Result, confirm, request_subscription, unsubscribe
from app.models import AuditEntry, SubscriptionPolicy, SystemMail, WebhookDelivery, WebhookDeliveryStatus
from app.models.audit import CLI
from app.models.timestamps import utcnow
from app.webhooks.events import emit
from app.webhooks.registry import add_webhook
from app.webhooks.sender import DISABLE_AFTER, RETRY_DELAYS, send_due
from tests.support.factories import make_list, make_user
from tests.support.stack import drain
from tests.webhooks.verify import verify


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_confirmed_subscription_reaches_the_receiver_signed(app, receiver):
    team = make_list("team@example.org", subscription_policy=SubscriptionPolicy.CONFIRM)
    other = make_list("other@example.org")
    hook = add_webhook(receiver.url, ["member.subscribed", "member.unsubscribed"], team.id, CLI)
    add_webhook(receiver.url, ["post.held"], None, CLI)  # site-wide, but another event

    result, member = request_subscription(team, "ann@example.org")
    assert result == Result.CONFIRMATION_SENT and not _deliveries()  # not subscribed yet: no event
    request_subscription(other, "bob@example.org")  # open list, subscribed at once: not this hook's list
    assert not _deliveries()
    assert confirm(member.confirm_token)[0] == Result.SUBSCRIBED
    drain(app)  # the job enqueued after confirm's commit, run by a real RQ worker

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert verify(hook.secret, got)
    body = json.loads(got.body)
    assert body["type"] == "member.subscribed"
    assert body["data"] == {"list": "team@example.org", "email": "ann@example.org", "status": "active"}
    [delivery] = _deliveries()
    assert (delivery.status, delivery.response_code, delivery.msg_id) == (
        "sent",
        200,
        got.headers["webhook-id"],
    )

    unsubscribe(member)
    drain(app)
    assert json.loads(receiver.requests[1].body)["type"] == "member.unsubscribed"
    assert verify(hook.secret, receiver.requests[1])


def test_a_500_is_retried_on_schedule_with_the_same_id_then_succeeds(app, receiver):
    team = make_list("team@example.org")
    hook = add_webhook(receiver.url, ["post.held"], None, CLI)
    receiver.codes = [500, 503]
    emit("post.held", team.id, {"list": team.address, "post_id": 7, "subject": "hi"})
    db.session.commit()
    now = utcnow()

    assert send_due(now) == 1
    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == now + RETRY_DELAYS[0]
    assert send_due(now + timedelta(seconds=1)) == 0  # not due yet
    assert send_due(now + RETRY_DELAYS[0]) == 1
    db.session.refresh(delivery)
    assert (delivery.attempts, delivery.response_code) == (2, 503)
    later = now + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    assert send_due(later) == 1
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 3, 200)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # one message, three attempts
    assert all(verify(hook.secret, r) for r in receiver.requests)
    assert receiver.requests[-1].headers["webhook-timestamp"] == str(int(later.timestamp()))


def _fail_one_delivery_completely(team_id: int, start):
    emit("bounce.recorded", team_id, {"address": "x@example.net", "kind": "hard"})
    db.session.commit()
    when = max(start, utcnow())  # the delivery is due from when it was emitted
    for delay in (timedelta(0), *RETRY_DELAYS):
        when += delay
        assert send_due(when) == 1
    return when


def test_a_webhook_is_disabled_after_repeated_failed_deliveries(app, receiver):
    team = make_list("team@example.org")
    make_user("admin@example.org", admin=True)
    make_user("owner@example.org", roles={team: "owner"})
    hook = add_webhook(receiver.url, ["bounce.recorded"], team.id, CLI)
    receiver.default = 500
    when = utcnow()
    for n in range(DISABLE_AFTER):
        when = _fail_one_delivery_completely(team.id, when)
        db.session.refresh(hook)
        assert hook.consecutive_failures == n + 1
        assert hook.active == (n + 1 < DISABLE_AFTER)
    assert [d.status for d in _deliveries()] == [WebhookDeliveryStatus.FAILED] * DISABLE_AFTER
    assert len(receiver.requests) == DISABLE_AFTER * (len(RETRY_DELAYS) + 1)
    assert hook.disabled_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.disabled"))
    assert entry is not None and entry.object_id == hook.id and entry.details["url"] == receiver.url
    assert emit("bounce.recorded", team.id, {}) == 0  # a disabled webhook gets nothing new
    told = {m.rcpt: m.data for m in db.session.scalars(select(SystemMail))}
    assert sorted(told) == ["admin@example.org", "owner@example.org"]  # once, when it was disabled
    assert all(
        b"Auto-Submitted: auto-generated" in data and receiver.url.encode() in data for data in told.values()
    )


def test_the_admins_are_told_when_a_site_wide_webhook_is_disabled(app, receiver):
    team = make_list("team@example.org")
    make_user("admin@example.org", admin=True)
    hook = add_webhook(receiver.url, ["bounce.recorded"], None, CLI)
    hook.consecutive_failures = DISABLE_AFTER - 1
    db.session.commit()
    receiver.default = 500
    _fail_one_delivery_completely(team.id, utcnow())
    db.session.refresh(hook)
    assert not hook.active
    [told] = db.session.scalars(select(SystemMail)).all()
    assert told.rcpt == "admin@example.org" and told.mail_from == "" and b"Auto-Submitted" in told.data


def test_a_success_resets_the_failure_count(app, receiver):
    team = make_list("team@example.org")
    hook = add_webhook(receiver.url, ["bounce.recorded"], team.id, CLI)
    receiver.default = 500
    when = _fail_one_delivery_completely(team.id, utcnow())
    assert hook.consecutive_failures == 1
    receiver.default = 200
    emit("bounce.recorded", team.id, {})
    db.session.commit()
    send_due(when)
    db.session.refresh(hook)
    assert hook.consecutive_failures == 0 and hook.active


def test_a_target_refused_at_send_time_is_not_requested(app, receiver):
    team = make_list("team@example.org")
    add_webhook(receiver.url, ["post.held"], team.id, CLI)  # allowed when added
    app.config["MAILFLOW"] = app.config["MAILFLOW"].__class__(
        **{**app.config["MAILFLOW"].__dict__, "WEBHOOKS_ALLOW_PRIVATE": False}
    )
    emit("post.held", team.id, {})
    db.session.commit()
    send_due(utcnow())
    [delivery] = _deliveries()
    assert delivery.status == "pending" and "MAILFLOW_WEBHOOKS_ALLOW_PRIVATE" in delivery.last_error
    assert receiver.requests == []


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(app, receiver):
    team = make_list("team@example.org")
    add_webhook(receiver.url, ["post.held"], team.id, CLI)
    receiver.codes = [302]
    emit("post.held", team.id, {})
    db.session.commit()
    send_due(utcnow())
    [delivery] = _deliveries()
    assert (delivery.status, delivery.response_code, delivery.last_error) == ("pending", 302, "HTTP 302")
    assert len(receiver.requests) == 1


def test_a_host_name_is_resolved_checked_and_connected_to_by_address(app, receiver):
    team = make_list("team@example.org")
    url = receiver.url.replace(
        "127.0.0.1", "localhost"
    )  # may resolve to ::1 first: the next address is tried
    hook = add_webhook(url, ["post.held"], team.id, CLI)
    emit("post.held", team.id, {})
    db.session.commit()
    send_due(utcnow())
    [delivery] = _deliveries()
    assert delivery.status == "sent", delivery.last_error
    assert receiver.requests[0].headers["host"].startswith("localhost:")
    assert verify(hook.secret, receiver.requests[0])


def test_a_due_delivery_no_job_holds_is_sent_by_the_reconciler_pass(app, receiver):
    team = make_list("team@example.org")
    hook = add_webhook(receiver.url, ["post.held"], team.id, CLI)
    body = json.dumps({"type": "post.held", "timestamp": "", "data": {}})
    db.session.add(WebhookDelivery(webhook_id=hook.id, event="post.held", msg_id="msg_lost", payload=body))
    db.session.commit()  # as if Redis had been down when the event committed: no job was enqueued
    drain(app)  # the worker's reconciliation pass enqueues the sender, then the worker runs it
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_lost"]
    assert verify(hook.secret, receiver.requests[0])
