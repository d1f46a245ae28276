"""Issue 12 item 12: the poller weighs mail before fetching it; oversized mail is set aside, owners told."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from app.ingress.imap import Poller
from app.ingress.imap_mailbox import Mailbox
from app.models import Role
from tests.ingress.conftest import post_count, posts
from tests.ingress.imap_fixtures import PASSWORD, USER, mailbox_config, open_mailbox, seed
from tests.support.dovecot import Dovecot
from tests.support.factories import make_list, make_user, message

LIMIT = 20_000


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot({USER: PASSWORD})
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def settings(settings, redis_url, sink):
    controller, _ = sink
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


@pytest.fixture
def mailbox(dovecot, app):
    dovecot.empty(USER)
    mlist = make_list("team@example.org", "Team")
    make_user("owner@example.org", roles={mlist: Role.OWNER})
    yield dovecot
    dovecot.empty(USER)


@pytest.fixture
def fetched(monkeypatch) -> list[list[int]]:
    """The UIDs of every whole-message FETCH the poller issues, chunk by chunk."""
    calls: list[list[int]] = []
    original = Mailbox.fetch

    def recording(self, uids):
        calls.append(list(uids))
        return original(self, uids)

    monkeypatch.setattr(Mailbox, "fetch", recording)
    return calls


def test_oversized_mail_is_moved_aside_unfetched_and_the_owner_told(app, mailbox, sink, fetched):
    small = message(to="team@example.org", subject="small", message_id="<small@example.org>")
    big = message(
        to="team@example.org",
        subject="huge attachment",
        message_id="<big@example.org>",
        body="y" * (LIMIT * 3),
    )
    mailbox.append(USER, [small, big])
    config = mailbox_config(mailbox, max_message_size=LIMIT, oversized_folder="Too big")
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 2
    assert [p.message_id for p in posts()] == ["<small@example.org>"]
    assert mailbox.uids(USER, "INBOX") == []
    assert len(mailbox.uids(USER, "Too big")) == 1
    big_uid = 2
    assert all(big_uid not in chunk for chunk in fetched)  # never read whole
    (notice,) = [m for m in sink[1].messages if m.rcpt_tos == ["owner@example.org"]]
    parsed = message_from_bytes(notice.data)
    body = parsed.get_payload(decode=True).decode()
    assert parsed["Auto-Submitted"] and "huge attachment" in body and "'Too big'" in body
    assert "MAILFLOW_MAX_MESSAGE_SIZE" in body
    with open_mailbox(config) as box:  # nothing comes back on the next pass
        assert Poller(app, config).drain(box) == 0
    assert post_count() == 1


def test_chunks_are_bounded_in_bytes(app, mailbox, fetched):
    raws = seed(mailbox, 10)
    each = max(len(r) for r in raws)
    config = mailbox_config(mailbox, batch_bytes=each * 3 + 10)
    with open_mailbox(config) as box:
        assert Poller(app, config).drain(box) == 10
    assert post_count() == 10
    assert max(len(chunk) for chunk in fetched) == 3 and sum(map(len, fetched)) == 10


def test_plan_chunk_keeps_the_cursor_honest():
    from app.ingress.imap import plan_chunk

    sizes = {1: 10, 2: 500, 3: 10, 4: 10, 5: 10}
    assert plan_chunk([1, 2, 3, 4, 5], sizes, max_size=100, budget=25) == ([1, 3], [2])
    assert plan_chunk([1, 2, 3, 4, 5], sizes, max_size=100, budget=5) == ([1], [2])  # one message at least
    assert plan_chunk([2], sizes, max_size=100, budget=5) == ([], [2])
