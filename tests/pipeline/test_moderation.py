"""A moderator's decisions on held posts, as the panel makes them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.queues import wait_for_local_jobs
from app.lists.settings import update_list_settings
from app.models import AuditEntry, Post, PostStatus
from app.models.audit import CLI
from app.moderation import decisions as moderation
from app.pipeline.runner import decide, prepare_bytes, process
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, make_user, message


def held_post(mlist):
    post = store_post(mlist, message(sender="eve@example.net"), "eve@example.net")
    decide(post)
    assert post.status == PostStatus.HELD
    return post


def test_approve_runs_the_post_again_and_the_approved_rule_accepts_it(app):
    mlist = make_list()
    mod = make_user("mod@example.org", roles={mlist: "moderator"})
    post = held_post(mlist)
    moderation.approve(post, mod.id, mod.email)
    wait_for_local_jobs()
    wait_for_local_jobs()
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.DISTRIBUTED
    assert post.rule_hits == ["approved"] and post.moderated_by == mod.id
    assert db.session.scalar(select(AuditEntry.action)) == "post.approve"


def test_reject_tells_the_sender_and_discard_does_not(mail_app, sink):
    mlist = make_list()
    first, second = (
        held_post(mlist),
        store_post(mlist, message(sender="eve@example.net", subject="2"), "eve@example.net"),
    )
    decide(second)
    moderation.reject(first, "Off topic.")
    moderation.discard(second)
    assert (first.status, second.status) == (PostStatus.REJECTED, PostStatus.DISCARDED)
    [notice] = sink[1].messages
    assert notice.rcpt_tos == ["eve@example.net"] and b"Off topic." in notice.data
    with pytest.raises(moderation.NotHeld):
        moderation.approve(first)


def test_approved_header_with_the_password_accepts_and_is_removed(app):
    mlist = make_list(posting_policy="moderated")
    update_list_settings(mlist, {"moderator_password": "s3cret-pass"}, CLI)
    make_members(mlist, "alice@example.org")
    post = store_post(mlist, message().replace(b"Subject:", b"Approved: s3cret-pass\r\nSubject:"))
    process(post.id)
    wait_for_local_jobs()  # the delivery job fan-out enqueued
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.rule_hits == ["approved"] and post.status == PostStatus.DISTRIBUTED
    assert b"s3cret-pass" not in prepare_bytes(post)[0]
