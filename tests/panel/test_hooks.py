"""Webhooks in the panel: who sees which, the delivery log with response codes, the test button, enabling."""

from __future__ import annotations

from app.extensions import db
from app.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from app.webhooks.events import new_msg_id
from tests.webhooks.receiver import Receiver


def _hook(list_id: int | None, url: str) -> Webhook:
    hook = Webhook(list_id=list_id, url=url, events=["post.held"], secret="whsec_eA==")
    db.session.add(hook)
    db.session.commit()
    return hook


def test_owners_see_their_lists_webhooks_and_admins_all(world, browser_for):
    mine, theirs = (
        _hook(world["a"].id, "https://a.invalid/hook"),
        _hook(world["b"].id, "https://b.invalid/hook"),
    )
    site = _hook(None, "https://site.invalid/hook")
    owner = browser_for("owner@example.org")
    page = owner.get("/webhooks/").get_data(as_text=True)
    assert "a.invalid" in page and "b.invalid" not in page and "site.invalid" not in page
    assert owner.get(f"/webhooks/{theirs.id}").status_code == 404
    assert owner.get(f"/webhooks/{site.id}").status_code == 404
    assert owner.get(f"/webhooks/{mine.id}").status_code == 200
    assert browser_for("mod@example.org").get(f"/webhooks/{mine.id}").status_code == 404
    admin = browser_for("admin@example.org").get("/webhooks/").get_data(as_text=True)
    assert all(host in admin for host in ("a.invalid", "b.invalid", "site.invalid", "all lists"))
    assert "whsec_" not in admin


def test_the_log_shows_response_codes_and_a_disabled_hook_can_be_enabled(world, browser_for):
    hook = _hook(world["a"].id, "https://a.invalid/hook")
    hook.active, hook.consecutive_failures = False, 5
    db.session.add(
        WebhookDelivery(
            webhook_id=hook.id, event="post.held", msg_id=new_msg_id(), payload="{}",
            status=WebhookDeliveryStatus.FAILED, attempts=8, response_code=503, last_error="HTTP 503",
        )
    )  # fmt: skip
    db.session.commit()
    owner = browser_for("owner@example.org")
    page = owner.get(f"/webhooks/{hook.id}").get_data(as_text=True)
    assert "503" in page and "disabled" in page and "Enable again" in page
    refused = owner.submit(f"/webhooks/{hook.id}", {}, action=f"/webhooks/{hook.id}/test")
    assert refused.status_code == 302
    assert "enable it first" in owner.get(f"/webhooks/{hook.id}").get_data(as_text=True)
    assert owner.submit(f"/webhooks/{hook.id}", {}, action=f"/webhooks/{hook.id}/enable").status_code == 302
    db.session.expire_all()
    hook = db.session.get(Webhook, hook.id)
    assert hook.active and hook.consecutive_failures == 0


def test_the_test_button_sends_a_signed_test_event_and_says_what_came_back(world, browser_for, app):
    app.config["MAILFLOW"] = app.config["MAILFLOW"].__class__(
        **{**app.config["MAILFLOW"].__dict__, "WEBHOOKS_ALLOW_PRIVATE": True}
    )
    receiver = Receiver().start()
    try:
        hook = _hook(world["a"].id, receiver.url)
        owner = browser_for("owner@example.org")
        sent = owner.submit(f"/webhooks/{hook.id}", {}, action=f"/webhooks/{hook.id}/test")
        assert sent.status_code == 302
        page = owner.get(f"/webhooks/{hook.id}").get_data(as_text=True)
        assert "the receiver answered 200" in page and "webhook.test" in page
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()
