"""A crash in any stage shunts the post with its traceback and raw bytes; `mailflow posts retry` re-runs it."""

from __future__ import annotations

import pytest

from app.commands.posts import posts
from app.extensions import db
from app.models import Delivery, Post, PostStatus
from app.pipeline import handlers, rules
from app.pipeline.runner import process
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, message


def explode(*args):
    raise RuntimeError("stage blew up")


@pytest.mark.parametrize("table, name", [(rules.RULES, "no-subject"), (handlers.HANDLERS, "list-headers")])
def test_a_crashing_stage_shunts_and_keeps_the_raw_bytes(app, monkeypatch, table, name):
    mlist = make_list()
    make_members(mlist, "alice@example.org")
    raw = message()
    post = store_post(mlist, raw)
    monkeypatch.setitem(table, name, explode)
    process(post.id)
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.SHUNTED
    assert "RuntimeError: stage blew up" in post.error and "Traceback" in post.error
    assert post.raw == raw


def test_retry_resumes_where_the_post_was(app, runner, monkeypatch):
    mlist = make_list()
    make_members(mlist, "alice@example.org", "bob@example.net")
    post = store_post(mlist, message())
    monkeypatch.setitem(handlers.HANDLERS, "list-headers", explode)
    process(post.id)
    assert db.session.get(Post, post.id).status == PostStatus.SHUNTED
    monkeypatch.undo()

    result = runner.invoke(posts, ["retry", str(post.id)])
    assert result.exit_code == 0, result.output
    assert f"post {post.id} is accepted again" in result.output
    from app.jobs.queues import wait_for_local_jobs

    wait_for_local_jobs()  # the post's processing, which enqueues its delivery
    wait_for_local_jobs()  # the delivery
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.DISTRIBUTED
    assert db.session.query(Delivery).filter_by(post_id=post.id).count() == 2


def test_retry_refuses_posts_that_are_not_shunted(app, runner):
    mlist = make_list()
    post = store_post(mlist, message())
    result = runner.invoke(posts, ["retry", str(post.id)])
    assert result.exit_code != 0 and "is received, not shunted" in result.output
    assert "there is no post 999999" in runner.invoke(posts, ["retry", "999999"]).output


def test_expire_command(app, runner):
    assert runner.invoke(posts, ["expire"]).output == "discarded 0 expired held posts\n"
