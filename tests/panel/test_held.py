"""The moderation queue: what a moderator sees (escaped, sanitised) and what each action does."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest
from rq import Queue
from sqlalchemy import select

from app.extensions import db
from app.jobs.queues import QueueName
from app.models import AllowedSender, AuditEntry, Ban, Post, PostStatus
from tests.panel.conftest import held_post

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def mod_settings(settings, redis_url, sink):
    controller, _ = sink
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


@pytest.fixture
def app(mod_settings):  # the panel app with real Redis and the SMTP sink as egress
    from app import create_app
    from tests.support.db import truncate_all

    app = create_app(mod_settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def _html_message(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{XSS}" <evil@example.com>'
    msg["To"] = "alpha@example.org"
    msg["Subject"] = subject
    msg.set_content("plain text part")
    msg.add_alternative(
        '<p>Hi <img src="https://tracker.example/p.gif"> <script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a> <b>bold</b></p>',
        subtype="html",
    )
    msg.add_attachment(b"PK\x03\x04", maintype="application", subtype="zip", filename=f"{XSS}.zip")
    return msg.as_bytes(policy=SMTP)


def test_held_post_page_escapes_everything_the_sender_controls(world, browser_for):
    post = held_post(
        world["a"],
        subject=XSS,
        sender="evil@example.com",
        raw=_html_message(XSS),
        reasons=(f"Header matched {XSS}",),
    )
    browser = browser_for("mod@example.org")
    for url in (
        "/moderation",
        f"/lists/{world['a'].id}/moderation",
        f"/moderation/{post.id}",
        f"/posts/{post.id}",
        f"/lists/{world['a'].id}/posts",
    ):
        body = browser.get(url).data.decode()
        assert XSS not in body, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, url
    page = browser.get(f"/moderation/{post.id}").data.decode()
    body, _, raw = page.partition('<details class="raw"')  # "Show raw": the source as escaped text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in raw and "<script>alert" not in raw
    assert "tracker.example" not in body and "<script>alert(2)" not in body and "javascript:" not in body
    assert "<b>bold</b>" in body and "plain text part" in body
    assert "application/zip" in body
    assert "Header matched" in body


def test_approve_requeues_and_the_pipeline_accepts(world, browser_for, redis_url):
    post = held_post(world["a"])
    browser = browser_for("mod@example.org")
    response = browser.submit(f"/moderation/{post.id}", {"action": "approve"})
    assert response.status_code == 302
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.RECEIVED and post.moderator_decision == "approve"
    assert post.moderated_by == world["users"]["moderator"].id and post.moderated_at is not None
    from app.jobs.queues import redis_connection

    queue = Queue(QueueName.POSTS.value, connection=redis_connection())
    assert [job.args for job in queue.get_jobs()] == [(post.id,)]
    from app.pipeline.runner import process

    process(post.id)
    assert db.session.get(Post, post.id).status in (PostStatus.DISTRIBUTING, PostStatus.DISTRIBUTED)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.approve"))
    assert entry.actor == "mod@example.org" and entry.object_id == post.id


def test_approve_and_always_allow_records_the_sender(world, browser_for):
    post = held_post(world["a"], sender="friend@example.com")
    browser_for("owner@example.org").submit(f"/moderation/{post.id}", {"action": "approve_allow"})
    patterns = db.session.scalars(
        select(AllowedSender.pattern).where(AllowedSender.list_id == world["a"].id)
    ).all()
    assert patterns == ["friend@example.com"]


def test_reject_with_canned_reason_mails_the_sender(world, browser_for, sink):
    _, handler = sink
    post = held_post(world["a"], subject="Buy now", sender="spammer@example.com")
    browser_for("mod@example.org").submit(
        f"/moderation/{post.id}", {"action": "reject", "reason": "off-topic"}
    )
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.REJECTED and post.moderator_decision == "reject"
    assert post.decision_reason == "Your message is off-topic for this list."
    (notice,) = handler.messages
    assert notice.rcpt_tos == ["spammer@example.com"] and notice.mail_from == "alpha-bounces@example.org"
    parsed = message_from_bytes(notice.data, policy=default)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert "off-topic" in parsed.get_content() and "Buy now" in parsed.get_content()


def test_custom_reason_wins_and_discard_and_ban(world, browser_for, sink):
    _, handler = sink
    one, two, three = (
        held_post(world["a"], subject=s, sender=f"{s}@example.com") for s in ("one", "two", "three")
    )
    browser = browser_for("owner@example.org")
    browser.submit(
        f"/moderation/{one.id}", {"action": "reject", "reason": "off-topic", "custom_reason": "Not here."}
    )
    browser.submit(f"/moderation/{two.id}", {"action": "discard"})
    browser.submit(f"/moderation/{three.id}", {"action": "ban"})
    db.session.expire_all()
    assert db.session.get(Post, one.id).decision_reason == "Not here."
    assert db.session.get(Post, two.id).status == PostStatus.DISCARDED
    assert db.session.get(Post, three.id).status == PostStatus.DISCARDED
    assert db.session.scalars(select(Ban.pattern)).all() == ["three@example.com"]
    assert [m.rcpt_tos for m in handler.messages] == [["one@example.com"]]


def test_bulk_discard_and_a_second_decision_is_refused(world, browser_for):
    posts = [held_post(world["a"], subject=f"s{i}", sender=f"s{i}@example.com") for i in range(3)]
    browser = browser_for("mod@example.org")
    response = browser.submit(
        "/moderation",
        {"action": "discard", "post_id": [str(p.id) for p in posts[:2]]},
        action="/moderation/bulk",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Post, p.id).status for p in posts] == ["discarded", "discarded", "held"]
    response = browser.submit(f"/moderation/{posts[0].id}", {"action": "approve"}, follow_redirects=True)
    assert b"Someone else already decided" in response.data
    assert db.session.get(Post, posts[0].id).status == PostStatus.DISCARDED


def test_navigation_counts_held_posts_of_my_lists_only(world, browser_for):
    held_post(world["a"], subject="a1")
    held_post(world["b"], subject="b1", sender="x@example.com")
    body = browser_for("mod@example.org").get("/").data.decode()
    assert 'title="held posts">1<' in body
    body = browser_for("admin@example.org").get("/").data.decode()
    assert 'title="held posts">2<' in body


def test_a_shunted_post_can_be_retried_from_the_post_log(world, browser_for):
    post = held_post(world["a"], subject="crashed")
    post.status, post.error = PostStatus.SHUNTED, "Traceback: boom"
    db.session.commit()
    browser = browser_for("mod@example.org")
    page = browser.get(f"/posts/{post.id}").data.decode()
    assert "Traceback: boom" in page and "Retry this post" in page
    assert browser.submit(f"/posts/{post.id}", {}, action=f"/posts/{post.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.RECEIVED
    from app.jobs.queues import redis_connection

    assert [job.args for job in Queue(QueueName.POSTS.value, connection=redis_connection()).get_jobs()] == [
        (post.id,)
    ]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "post.retry"))
