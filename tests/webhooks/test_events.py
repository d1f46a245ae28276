"""Each event is emitted by the service function that makes it happen (one delivery row per webhook)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.bounces.scoring import BounceReport, record_bounce
from app.extensions import db
from app.models import BounceKind, Member, Post, PostStatus, WebhookDelivery
from app.models.audit import CLI
from app.pipeline.runner import decide, process
from app.webhooks.events import WebhookEvent
from app.webhooks.registry import add_webhook
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain
from tests.webhooks.verify import verify

EVERY_EVENT = [e.value for e in WebhookEvent]


def _events() -> list[tuple[str, dict]]:
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
    return [(row.event, json.loads(row.payload)["data"]) for row in rows]


def test_a_held_post_emits_post_held_with_its_subject(app):
    team = make_list("team@example.org")
    add_webhook("http://127.0.0.1:9/", EVERY_EVENT, team.id, CLI)
    post = store_post(team, message(sender="eve@example.net", subject="Cheap pills"), "eve@example.net")
    decide(post)
    assert post.status == PostStatus.HELD
    assert _events() == [
        ("post.held", {"list": "team@example.org", "post_id": post.id, "subject": "Cheap pills"})
    ]


def test_bounces_emit_bounce_recorded_and_the_disabling_one_member_disabled(app):
    team = make_list("team@example.org")
    make_members(team, "ann@example.net")
    ann = db.session.scalar(select(Member))
    add_webhook("http://127.0.0.1:9/", ["bounce.recorded", "member.disabled"], None, CLI)
    threshold = app.config["MAILFLOW"].BOUNCE_THRESHOLD
    ann.bounce_score = threshold - 1  # earlier days' bounces (at most one a day counts)
    for _ in range(2):  # the second, the same day, is recorded but not counted
        record_bounce(team.id, ann, None, BounceReport(ann.email, BounceKind.HARD, "550 5.1.1"))
        db.session.commit()
    events = _events()
    assert [e for e, _ in events] == ["bounce.recorded", "member.disabled", "bounce.recorded"]
    assert events[0][1] == {"address": "ann@example.net", "kind": "hard"}
    assert events[1] == (
        "member.disabled",
        {"list": "team@example.org", "email": "ann@example.net", "status": "disabled"},
    )


def test_a_distributed_post_reaches_the_receiver_as_post_distributed(app, receiver):
    team = make_list("team@example.org")
    make_members(team, "ann@example.org", "bob@example.org")
    hook = add_webhook(receiver.url, ["post.distributed", "post.held"], team.id, CLI)
    post = store_post(team, message(sender="ann@example.org", subject="Hello"), "ann@example.org")
    process(post.id)
    drain(app)  # copies, then the webhook job the fan-out's last commit enqueued
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.DISTRIBUTED
    [got] = receiver.requests
    assert verify(hook.secret, got)
    assert json.loads(got.body)["data"] == {
        "list": "team@example.org",
        "post_id": post.id,
        "subject": "Hello",
    }


def test_one_click_unsubscribe_and_owner_removal_emit_member_unsubscribed_once(app, client):
    from app.mail.tokens import TokenPurpose, sign
    from app.membership.members import remove_members

    team = make_list("team@example.org")
    make_members(team, "ann@example.org", "bob@example.org")
    ann, bob = db.session.scalars(select(Member).order_by(Member.email)).all()
    add_webhook("http://127.0.0.1:9/", ["member.unsubscribed"], team.id, CLI)
    link = "/unsubscribe/" + sign(TokenPurpose.UNSUBSCRIBE, ann.id)
    for _ in range(2):  # RFC 8058 one-click, sent twice: one event
        answer = client.post(link, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
    remove_members(team, [bob], CLI)
    db.session.expire_all()
    assert _events() == [
        (
            "member.unsubscribed",
            {"list": "team@example.org", "email": "ann@example.org", "status": "unsubscribed"},
        ),
        (
            "member.unsubscribed",
            {"list": "team@example.org", "email": "bob@example.org", "status": "unsubscribed"},
        ),
    ]
