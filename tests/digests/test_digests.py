"""Digests built once per issue, in both formats, delivered personally through the post delivery path."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from sqlalchemy import select

from app.archive.removal import remove_message
from app.digests import issues
from app.digests.issues import send_issue
from app.digests.schedule import latest_slot, send_due_digests, send_pending
from app.extensions import db
from app.models import ArchivedMessage, DigestIssue, Post, PostSource, PostStatus
from app.models.audit import CLI
from app.models.timestamps import utcnow
from app.moderation.actions import approve
from app.posts.log import find_posts, post_summary
from tests.digests.conftest import digest_list, distribute
from tests.support.stack import drain

SEPARATOR_LINE = "-" * 30 + " not a separator"


def _parsed(data: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def _digests_to(sink, rcpt: str) -> list[email.message.EmailMessage]:
    found = [_parsed(m.data) for m in sink[1].messages if rcpt in m.rcpt_tos]
    return [m for m in found if "Digest" in str(m["Subject"])]


def test_one_issue_goes_to_each_digest_reader_in_their_format_with_personal_headers(smtp_app, sink):
    mlist = digest_list()
    posts = [distribute(mlist, s) for s in ("First", "Second")] + [distribute(mlist, "Third", SEPARATOR_LINE)]
    drain(smtp_app)
    assert sorted(m.rcpt_tos[0] for m in sink[1].messages) == ["reg@example.net"] * 3  # copies: regular only

    (report,) = send_pending(mlist)
    assert (report.volume, report.number, report.posts) == (1, 1, 3)
    assert report.readers == {"mime_digest": 1, "plain_digest": 1}  # nomail and away get nothing
    drain(smtp_app)

    (mime,) = _digests_to(sink, "mime@example.net")
    assert mime["Subject"] == "Team Digest, Vol 1, Issue 1"
    assert mime["List-Id"] == '"Team" <team.example.org>' and mime["Auto-Submitted"] == "auto-generated"
    assert mime.get_content_type() == "multipart/mixed"
    toc, digest, footer = mime.iter_parts()
    assert toc.get_content_type() == "text/plain" and "   1. First (reg@example.net)" in toc.get_content()
    assert digest.get_content_type() == "multipart/digest"
    inner = list(digest.iter_parts())
    assert [p.get_content_type() for p in inner] == ["message/rfc822"] * 3
    assert [p.get_content()["Subject"] for p in inner] == ["First", "Second", "Third"]
    first_post = inner[0].get_content()
    assert first_post["From"] == "reg@example.net" and first_post["Message-ID"] == posts[0].message_id
    kept = {name.lower() for name in first_post.keys()}
    assert not {"list-id", "list-unsubscribe", "list-post", "archived-at", "precedence"} & kept, kept
    assert "https://lists.example.org/manage/" in footer.get_content()
    (plain,) = _digests_to(sink, "plain@example.net")
    text = plain.get_content()
    assert plain.get_content_type() == "text/plain" and text.startswith("Today's Topics:")
    assert (
        "-" * 70 in text and "\n- " + SEPARATOR_LINE in text and "End of Team Digest, Vol 1, Issue 1" in text
    )
    assert text.index("Subject: First") < text.index("Subject: Second") < text.index("Subject: Third")

    received = [m for m in sink[1].messages if m.rcpt_tos in (["mime@example.net"], ["plain@example.net"])]
    assert all(m.mail_from.startswith("team-bounces+") for m in received)  # VERP, as for posts
    unsubscribes = {str(_parsed(m.data)["List-Unsubscribe"]) for m in received}
    assert len(unsubscribes) == 2 and all("/unsubscribe/" in u for u in unsubscribes)  # one each
    assert not _digests_to(sink, "none@example.net") and not _digests_to(sink, "away@example.net")
    assert not _digests_to(sink, "reg@example.net")

    assert send_pending(mlist) == []  # nothing new: no empty digest
    assert post_summary(posts[0])["not_sent"] == {"digest": 2, "nomail": 2}
    digest_posts = db.session.scalars(select(Post).where(Post.source == PostSource.DIGEST)).all()
    assert {p.status for p in digest_posts} == {PostStatus.DISTRIBUTED}
    assert all(p.source != PostSource.DIGEST for p in find_posts(mlist))
    archived = db.session.scalars(select(ArchivedMessage.post_id)).all()
    assert sorted(archived) == sorted(p.id for p in posts)  # digests are not archived


def test_a_held_post_joins_after_approval_and_a_removed_one_is_left_out(smtp_app, sink):
    mlist = digest_list()
    held = distribute(mlist, "From outside", sender="eve@example.net")
    assert held.status == PostStatus.HELD
    distribute(mlist, "Early")
    send_pending(mlist)
    approve(held, CLI)
    drain(smtp_app)
    removed = distribute(mlist, "Regretted")
    distribute(mlist, "Kept")
    row = db.session.scalar(select(ArchivedMessage).where(ArchivedMessage.post_id == removed.id))
    remove_message(row, "owner@example.org", None, "posted by mistake")
    (report,) = send_pending(mlist)
    drain(smtp_app)
    issues = db.session.scalars(select(DigestIssue).order_by(DigestIssue.number)).all()
    subjects = [[db.session.get(Post, i).subject for i in issue.post_ids] for issue in issues]
    assert subjects == [["Early"], ["From outside", "Kept"]] and report.number == 2
    second = _digests_to(sink, "mime@example.net")[-1]
    assert "Regretted" not in second.as_string()


def test_a_racing_builder_with_the_same_number_or_the_same_posts_builds_nothing(smtp_app, sink, monkeypatch):
    mlist = digest_list()
    distribute(mlist, "Only")
    assert send_issue(mlist).number == 1
    distribute(mlist, "Next")
    # A process that read the issue number before the winner committed: the unique key stops it.
    monkeypatch.setattr(issues, "next_number", lambda list_id, now: (1, 1))
    assert send_issue(mlist) is None
    # One that read the waiting posts before the winner took them: it takes none, and builds nothing.
    monkeypatch.setattr(
        issues, "waiting_post_ids", lambda list_id: [db.session.scalars(select(Post.id)).first()]
    )
    monkeypatch.setattr(issues, "next_number", lambda list_id, now: (1, 7))
    assert send_issue(mlist) is None
    assert db.session.scalar(select(db.func.count()).select_from(DigestIssue)) == 1
    drain(smtp_app)
    assert len(_digests_to(sink, "mime@example.net")) == 1


def test_the_scheduler_sends_at_the_lists_hour_or_early_past_the_threshold(smtp_app, sink):
    mlist = digest_list(digest_frequency="daily", digest_hour=6, digest_size_threshold_kb=0)
    distribute(mlist, "Morning news")
    now = utcnow()
    assert send_due_digests(now) == []  # the post has not yet seen 06:00 go by
    next_slot = latest_slot("daily", 6, now) + timedelta(days=1)
    assert send_due_digests(next_slot - timedelta(seconds=1)) == []
    assert [r.number for r in send_due_digests(next_slot)] == [1]
    assert send_due_digests(next_slot + timedelta(days=1)) == []  # nothing new since: no digest

    mlist.digest_size_threshold_kb, mlist.digest_frequency = 4, "monthly"
    db.session.commit()
    distribute(mlist, "Short")
    assert send_due_digests(utcnow()) == []  # under 4 kB waits for the 1st of the month
    distribute(mlist, "Long", "words " * 600)
    assert [r.number for r in send_due_digests(utcnow())] == [2]  # past 4 kB: early


def test_slots_for_each_frequency():
    now = utcnow().replace(year=2026, month=11, day=25, hour=10, minute=30)  # a Wednesday
    assert latest_slot("daily", 8, now) == now.replace(hour=8, minute=0, second=0, microsecond=0)
    assert latest_slot("daily", 11, now).day == 24
    assert latest_slot("weekly", 8, now).day == 23
    assert latest_slot("monthly", 8, now).day == 1 and latest_slot("monthly", 8, now).month == 11
    assert latest_slot("monthly", 8, now.replace(day=1, hour=7)).month == 10
    assert latest_slot("never", 8, now) is None
