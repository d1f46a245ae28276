"""`mailflow posts list|show|approve|reject|discard` through the console script, on the panel's services."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Delivery, DeliveryStatus, Member, Post, PostStatus
from app.pipeline.runner import decide
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, message


def held(mlist, subject: str) -> Post:
    post = store_post(mlist, message(sender="eve@example.net", subject=subject), "eve@example.net")
    decide(post)
    assert post.status == PostStatus.HELD
    return post


def test_list_and_show_say_what_became_of_each_post(console):
    team, news = make_list("team@example.org"), make_list("news@example.org")
    make_members(team, "ann@example.net", "bob@example.net")
    waiting = held(team, "Please approve me")
    waiting.subject = "Please\n approve me"  # a line break (from a folded field) stays off the line
    sent = store_post(team, message(subject="Minutes"))
    sent.status, sent.rule_hits = PostStatus.DISTRIBUTED, ["member-moderation"]
    for member, status in zip(
        db.session.scalars(select(Member)), (DeliveryStatus.SENT, DeliveryStatus.BOUNCED)
    ):
        db.session.add(Delivery(post_id=sent.id, member_id=member.id, recipient=member.email, status=status))
    other = held(news, "Elsewhere")

    every = console("posts", "list")
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines() == [
        f"{other.id} held news@example.org Elsewhere",
        f"{sent.id} distributed team@example.org Minutes",
        f"{waiting.id} held team@example.org Please approve me",
    ]
    held_here = console("posts", "list", "team@example.org", "--status", "held").stdout.splitlines()
    assert [line.split()[0] for line in held_here] == [str(waiting.id)]
    assert console("posts", "list", "--status", "stuck").returncode == 2

    shown = json.loads(console("posts", "show", str(sent.id)).stdout)
    assert shown["status"] == "distributed" and shown["trace"]["hits"] == ["member-moderation"]
    assert shown["deliveries"] == {"pending": 0, "sending": 0, "sent": 1, "failed": 0, "bounced": 1}
    why = json.loads(console("posts", "show", str(waiting.id)).stdout)
    assert why["status"] == "held" and "eve@example.net is not a member" in why["reasons"][0]
    assert "nonmember-moderation" in why["trace"]["hits"] and why["subject"] == waiting.subject
    assert console("posts", "show", "999999").returncode == 2


def test_approve_reject_discard_act_once_through_the_moderation_service(console):
    team = make_list("team@example.org")
    make_members(team, "ann@example.net")
    first, second, third = held(team, "one"), held(team, "two"), held(team, "three")

    approved = console("posts", "approve", str(first.id))
    assert approved.returncode == 0 and f"approved post {first.id}" in approved.stdout, approved.stderr
    rejected = console("posts", "reject", str(second.id), "--reason", "Off topic here.")
    assert rejected.returncode == 0 and f"rejected post {second.id}" in rejected.stdout, rejected.stderr
    discarded = console("posts", "discard", str(third.id), "--reason", "spam")
    assert discarded.returncode == 0, discarded.stderr

    first, second, third = (db.session.get(Post, p.id) for p in (first, second, third))
    assert first.moderator_decision == "approve" and first.status == PostStatus.DISTRIBUTED, first.error
    assert (second.status, second.decision_reason) == (PostStatus.REJECTED, "Off topic here.")
    assert third.status == PostStatus.DISCARDED
    audit = db.session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.details)).all()
    assert {(action, actor) for action, actor, _ in audit} >= {
        ("post.approve", "cli"),
        ("post.reject", "cli"),
        ("post.discard", "cli"),
    }
    assert {"note": "spam"} in [details for _, _, details in audit]

    again = console("posts", "approve", str(second.id))
    assert again.returncode == 1 and "is rejected, not held" in again.stderr
    assert console("posts", "discard", "999999").returncode == 2
