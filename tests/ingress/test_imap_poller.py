"""The IMAP poller against a real Dovecot: backlog, IDLE, restarts, crashes, unmatched mail, UIDVALIDITY."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ingress.imap import Poller
from app.ingress.imap_mailbox import Mailbox
from app.models import ImapCursor, Post, PostSource
from tests.ingress.conftest import post_count, posts
from tests.ingress.imap_fixtures import PASSWORD, USER, mailbox_config, open_mailbox, running_poller, seed
from tests.support.dovecot import Dovecot
from tests.support.factories import make_list, message
from tests.support.processes import service_env, start
from tests.support.stack import receiver, send
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot({USER: PASSWORD})
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def settings(settings, redis_url):
    settings["REDIS_URL"] = redis_url  # jobs go to a real queue; nothing runs the pipeline in-process
    return settings


@pytest.fixture
def mailbox(dovecot, app):
    dovecot.empty(USER)
    make_list("team@example.org")
    yield dovecot
    dovecot.empty(USER)


@pytest.fixture
def idles(monkeypatch) -> list[float]:
    """The interval of every IDLE the poller issues, in order."""
    calls: list[float] = []
    original = Mailbox.wait_for_news

    def counting(self, seconds, stop_requested):
        calls.append(seconds)
        return original(self, seconds, stop_requested)

    monkeypatch.setattr(Mailbox, "wait_for_news", counting)
    return calls


def test_a_backlog_of_200_becomes_200_posts_exactly_once(app, mailbox):
    raws = seed(mailbox, 200)
    config = mailbox_config(mailbox, batch_size=50)
    with running_poller(app, config):
        assert wait_until(lambda: post_count() == 200, timeout=60, tick=0.2)
    # The poller finishes the chunk in hand (commit, then move) before it stops.
    assert len(mailbox.uids(USER, "Processed")) == 200
    stored = posts()
    assert len(stored) == 200
    assert sorted(p.raw for p in stored) == sorted(raws)  # no trace field added: the bytes are the MDA's
    assert {p.source for p in stored} == {PostSource.IMAP}
    assert mailbox.uids(USER, "INBOX") == []
    with open_mailbox(config) as box:  # another pass finds nothing new
        assert Poller(app, config).drain(box) == 0
    assert post_count() == 200


def test_a_message_appended_while_idling_is_accepted_within_two_seconds(app, mailbox, idles):
    with running_poller(app, mailbox_config(mailbox)):
        assert wait_until(lambda: len(idles) >= 1)
        seed(mailbox, 1, prefix="while-idle")
        assert wait_until(lambda: post_count() == 1, timeout=2.0)
    assert posts()[0].message_id == "<while-idle-0@example.org>"


def test_idle_is_reissued_after_the_configured_interval(app, mailbox, idles):
    with running_poller(app, mailbox_config(mailbox, idle_seconds=0.2)):
        assert wait_until(lambda: len(idles) >= 3, timeout=20)
    assert set(idles) == {0.2}


def test_dovecot_restarted_mid_run_loses_and_doubles_nothing(app, mailbox):
    seed(mailbox, 120, prefix="before")
    with running_poller(app, mailbox_config(mailbox, batch_size=10)):
        assert wait_until(lambda: post_count() >= 1)
        mailbox.stop()  # mid-drain: some messages stored but not yet moved
        mailbox.start()
        seed(mailbox, 30, prefix="after")
        assert wait_until(lambda: post_count() == 150, timeout=60, tick=0.2)
    assert len(mailbox.uids(USER, "Processed")) == 150 and mailbox.uids(USER, "INBOX") == []
    assert post_count() == 150
    assert len({p.message_id for p in posts()}) == 150


def test_a_crash_between_commit_and_move_makes_no_duplicate(app, mailbox, monkeypatch):
    seed(mailbox, 3)
    config = mailbox_config(mailbox)

    def crash(self, uids):
        raise KeyboardInterrupt("killed between commit and move")

    with monkeypatch.context() as patch:
        patch.setattr(Mailbox, "file_processed", crash)
        with open_mailbox(config) as box, pytest.raises(KeyboardInterrupt):
            Poller(app, config).drain(box)
    assert post_count() == 3
    assert len(mailbox.uids(USER, "INBOX")) == 3  # committed, never moved
    with open_mailbox(config) as box:  # the restarted poller
        assert Poller(app, config).drain(box) == 3
    assert post_count() == 3
    assert mailbox.uids(USER, "INBOX") == [] and len(mailbox.uids(USER, "Processed")) == 3


def test_unmatched_mail_lands_in_unmatched_and_is_logged(app, mailbox, caplog):
    mailbox.append(USER, [message(to="nobody@example.org", message_id="<stray@example.org>")])
    seed(mailbox, 1)
    config = mailbox_config(mailbox)
    # Alembic's fileConfig (the session's migrations) disables loggers that existed before it ran.
    logging.getLogger("app.ingress.imap").disabled = False
    with caplog.at_level(logging.WARNING), open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
    assert post_count() == 1
    assert len(mailbox.uids(USER, "unmatched")) == 1
    assert "<stray@example.org>" in caplog.text and "unmatched" in caplog.text


def test_seen_mode_flags_and_leaves_messages(app, mailbox):
    seed(mailbox, 2)
    config = mailbox_config(mailbox, processed="seen")
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
        box.select()
        assert box.client.search(["UNSEEN"]) == [] and len(box.client.search(["SEEN"])) == 2
    assert post_count() == 2


def test_copy_delete_expunge_where_move_is_missing(app, mailbox):
    seed(mailbox, 2)
    config = mailbox_config(mailbox)
    with open_mailbox(config) as box:
        box.can_move = False
        assert Poller(app, config).drain(box) == 2
    assert mailbox.uids(USER, "INBOX") == [] and len(mailbox.uids(USER, "Processed")) == 2


def test_uidvalidity_change_rescans_without_duplicates(app, mailbox):
    config = mailbox_config(mailbox, folder="lists", processed="seen")
    with mailbox.client(USER) as client:
        client.create_folder("lists")
    raws = seed(mailbox, 3, folder="lists")
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 3
    first = db.session.scalar(select(ImapCursor))
    old_validity = first.uidvalidity
    with mailbox.client(USER) as client:  # the folder is rebuilt: same mail, new UIDVALIDITY
        client.delete_folder("lists")
        client.create_folder("lists")
    mailbox.append(USER, raws + [message(message_id="<new@example.org>")], "lists")
    with open_mailbox(config) as box:
        assert box.select() != old_validity
        assert Poller(app, config).drain(box) == 4
    assert post_count() == 4
    db.session.expire_all()
    cursor = db.session.scalar(select(ImapCursor))
    assert cursor.uidvalidity != old_validity and cursor.last_uid == 4


def test_failed_store_leaves_the_message_and_retries(app, mailbox, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.ingress import imap
    from app.ingress.imap import StoreFailed

    seed(mailbox, 3)
    config = mailbox_config(mailbox)
    calls = []

    def batch_fails(items):
        raise OperationalError("INSERT", {}, Exception("database is away"))

    def second_fails(raw, envelope):
        calls.append(raw)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("database is away"))
        return original(raw, envelope)

    original = imap.accept
    with monkeypatch.context() as patch:
        patch.setattr(imap, "accept_batch", batch_fails)
        patch.setattr(imap, "accept", second_fails)
        with open_mailbox(config) as box, pytest.raises(StoreFailed):
            Poller(app, config).drain(box)
    assert post_count() == 1 and len(mailbox.uids(USER, "INBOX")) == 2  # the first is done, the rest wait
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
    assert post_count() == 3 and mailbox.uids(USER, "INBOX") == []
    assert db.session.scalar(select(Post.source).limit(1)) == PostSource.IMAP


def test_the_same_bytes_twice_in_one_chunk_make_one_post(app, mailbox):
    raw = message(message_id="<twice@example.org>")
    mailbox.append(USER, [raw, raw])
    config = mailbox_config(mailbox)
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
    assert post_count() == 1 and len(mailbox.uids(USER, "Processed")) == 2


def test_the_same_message_by_smtp_and_by_imap_is_one_post(app, mailbox, smtpd_port):
    raw = message(message_id="<both-ways@example.org>")
    with receiver(app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], raw)
    mailbox.append(USER, [raw])
    config = mailbox_config(mailbox)
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 1
    [post] = posts()
    assert post.source == PostSource.SMTP and len(mailbox.uids(USER, "Processed")) == 1


def test_a_poller_killed_and_restarted_resumes_at_once(app, mailbox, settings, tmp_path):
    """kill -9, then a restart (as systemd does): the dead poller's lock is taken at once, not waited for."""
    env = service_env(
        settings,
        REDIS_URL=settings["REDIS_URL"],
        IMAP_HOST="127.0.0.1",
        IMAP_PORT=str(mailbox.port),
        IMAP_USERNAME=USER,
        IMAP_PASSWORD=PASSWORD,
    )
    log = tmp_path / "imap.log"
    first = start(["app.cli", "imap"], env, log)
    try:
        seed(mailbox, 1, prefix="before")
        assert wait_until(lambda: post_count() == 1, timeout=60, tick=0.2), log.read_text()
        first.kill()  # SIGKILL: no release, the lock stays held until its ttl
        first.wait(timeout=10)
        seed(mailbox, 1, prefix="after")
        second = start(["app.cli", "imap"], env, log)
        try:
            assert wait_until(lambda: post_count() == 2, timeout=60, tick=0.2), log.read_text()
            assert second.poll() is None
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    text = log.read_text()
    assert "a dead process on this host" in text and "waiting for it" not in text
