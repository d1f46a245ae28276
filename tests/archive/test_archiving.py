"""Each distributed post is archived exactly once, as sent to the list; held after approval; rejected never."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from app.archive.catchup import archive_missing
from app.extensions import db
from app.jobs.queues import Job, enqueue
from app.jobs.reconcile import reconcile_all
from app.models import PostStatus
from app.moderation import decisions
from tests.archive.conftest import archived, newest_post
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain, receiver, send

MEMBERS = ["ann@example.net", "bob@example.net", "cyd@example.com"]


def _list(**settings):
    mlist = make_list(
        "team@example.org",
        "Team",
        posting_policy="open",
        subject_prefix="[team]",
        footer_template="-- \nSent to {{ member_email }} via {{ list_name }}; leave: {{ unsubscribe_url }}",
        **settings,
    )
    make_members(mlist, *MEMBERS)
    return mlist


def _post(app, port, raw, mail_from="alice@example.org"):
    with receiver(app, port):
        assert send(port, mail_from, ["team@example.org"], raw) == {}
    drain(app)
    return newest_post()


def test_a_distributed_post_is_archived_once_with_the_same_headers_in_every_copy(stack, smtpd_port):
    app, handler = stack
    _list()
    post = _post(app, smtpd_port, message(sender="Alice <alice@example.org>", message_id="<a1@example.org>"))
    assert post.status == PostStatus.DISTRIBUTED
    [row] = archived()
    assert row.post_id == post.id and row.key == "a1@example.org"
    link = "https://lists.example.org/archive/team@example.org/m/a1@example.org"
    seen = set()
    for received in handler.messages:
        copy = message_from_bytes(received.data, policy=default)
        assert copy.get_all("List-Archive") == ["<https://lists.example.org/archive/team@example.org>"]
        assert copy.get_all("Archived-At") == [f"<{link}>"]
        seen.add(copy["Archived-At"])
    assert len(handler.messages) == len(MEMBERS) and len(seen) == 1
    # Decorated once, for nobody: the footer is there, no member's address or unsubscribe token is.
    assert b"via Team" in row.raw and b"[team] Hello" in row.raw
    assert not any(m.encode() in row.raw for m in MEMBERS)
    assert b"/unsubscribe/" not in row.raw and b"List-Unsubscribe:" not in row.raw
    # Running the post again (a redelivered job) archives nothing twice.
    enqueue(Job.PROCESS_POST, post.id)
    drain(app)
    assert archive_missing() == 0 and len(archived()) == 1


def test_an_incoming_archived_at_is_replaced_and_none_policy_adds_nothing(stack, smtpd_port):
    app, handler = stack
    mlist = _list(archive_policy="none")
    raw = message(message_id="<n1@example.org>").replace(
        b"Subject:",
        b"Archived-At: <https://evil.example/x>\r\nList-Archive: <https://evil.example>\r\nSubject:",
    )
    _post(app, smtpd_port, raw)
    assert archived() == []
    for received in handler.messages:
        assert b"Archived-At" not in received.data and b"List-Archive" not in received.data
    mlist.archive_policy = "public"
    db.session.commit()
    handler.messages.clear()
    _post(app, smtpd_port, raw.replace(b"n1@", b"n2@"))
    # Turning an archive on also archives the last week's posts (the reconciler's look-back).
    [row] = [r for r in archived() if r.key == "n2@example.org"]
    for received in handler.messages:
        copy = message_from_bytes(received.data, policy=default)
        assert copy.get_all("Archived-At") == [
            "<https://lists.example.org/archive/team@example.org/m/n2@example.org>"
        ]
    assert row.raw.count(b"Archived-At:") == 1


def test_held_post_is_archived_after_approval_and_rejected_never(stack, smtpd_port):
    app, handler = stack
    mlist = _list()
    mlist.posting_policy = "moderated"
    db.session.commit()
    held = _post(app, smtpd_port, message(message_id="<h1@example.org>"))
    assert held.status == PostStatus.HELD and archived() == []
    decisions.approve(held, actor="mod@example.org")
    drain(app)
    assert [row.post_id for row in archived()] == [held.id]
    rejected = _post(app, smtpd_port, message(message_id="<r1@example.org>"))
    discarded = _post(app, smtpd_port, message(message_id="<d1@example.org>"))
    decisions.reject(rejected, "off topic", actor="mod@example.org")
    decisions.discard(discarded, actor="mod@example.org")
    drain(app)
    reconcile_all()
    assert [row.post_id for row in archived()] == [held.id]


def test_a_crash_while_archiving_loses_nothing_the_reconciler_archives_it(stack, smtpd_port, monkeypatch):
    import app.archive.store as store

    app, handler = stack
    _list()

    def crash(post):
        raise RuntimeError("disk on fire")

    original = store.archive_post
    monkeypatch.setattr(store, "archive_post", crash)
    post = _post(app, smtpd_port, message(message_id="<c1@example.org>"))
    assert post.status == PostStatus.DISTRIBUTED and len(handler.messages) == len(MEMBERS)
    assert archived() == []
    monkeypatch.setattr(store, "archive_post", original)
    reconcile_all()
    [row] = archived()
    assert row.post_id == post.id and row.key == "c1@example.org"
    assert b"Archived-At: <https://lists.example.org/archive/team@example.org/m/c1@example.org>" in row.raw


def test_same_message_id_twice_gets_two_permalinks(stack, smtpd_port):
    app, handler = stack
    _list()
    _post(app, smtpd_port, message(body="first\n", message_id="<dup@example.org>"))
    handler.messages.clear()
    _post(app, smtpd_port, message(body="second, different\n", message_id="<dup@example.org>"))
    first, second = archived()
    assert first.key == "dup@example.org" and second.key.startswith("dup@example.org-")
    links = {message_from_bytes(m.data, policy=default)["Archived-At"] for m in handler.messages}
    assert links == {f"<https://lists.example.org/archive/team@example.org/m/{second.key}>"}
