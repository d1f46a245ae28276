"""Issue 12 item 4: one daily cap of automatic mail per address, the subscribe form throttled per target,
and -request@ replies that never quote what the (possibly forged) sender wrote."""

from __future__ import annotations

import smtplib

import pytest

from app import create_app
from app.extensions import db
from app.sysmail.notices import NOTICES_PER_DAY
from tests.panel.conftest import Browser
from tests.support.db import truncate_all
from tests.support.factories import make_list, message
from tests.support.stack import drain, receiver

VICTIM = "victim@example.net"


@pytest.fixture
def app(settings, redis_url, sink):
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def to_victim(sink) -> list:
    return [m for m in sink[1].messages if m.rcpt_tos == [VICTIM]]


def subscribe_from(app, ip: str, list_address: str, email: str = VICTIM):
    browser = Browser(app.test_client())
    return browser.submit(f"/subscribe/{list_address}", {"email": email}, environ_base={"REMOTE_ADDR": ip})


def test_forty_clients_cannot_bomb_one_address_with_confirmations(app, sink):
    make_list("team@example.org", "Team", subscription_policy="confirm")
    codes = [subscribe_from(app, f"198.51.100.{n}", "team@example.org").status_code for n in range(40)]
    assert len(to_victim(sink)) == 3  # SUBSCRIBE_TARGET_LIMIT: three an hour, whoever asks
    assert codes[:3] == [200] * 3 and set(codes[3:]) == {429}
    assert subscribe_from(app, "198.51.100.99", "team@example.org", "other@example.net").status_code == 200


def test_confirmations_count_against_the_daily_cap(app, sink):
    for n in range(NOTICES_PER_DAY + 2):
        make_list(f"list{n}@example.org", f"List {n}", subscription_policy="confirm")
        assert subscribe_from(app, f"203.0.113.{n}", f"list{n}@example.org").status_code == 200
    assert len(to_victim(sink)) == NOTICES_PER_DAY


def test_command_replies_share_the_cap_with_every_other_automatic_mail(app, sink, smtpd_port):
    make_list("team@example.org", "Team", subscription_policy="confirm")
    with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        for n in range(NOTICES_PER_DAY + 2):  # forged envelope sender: the victim
            raw = message(VICTIM, "team-request@example.org", f"help {n}", body="help\n")
            client.sendmail(VICTIM, ["team-request@example.org"], raw)
    drain(app)
    assert len(to_victim(sink)) == NOTICES_PER_DAY
    subscribe_from(app, "192.0.2.1", "team@example.org")
    assert len(to_victim(sink)) == NOTICES_PER_DAY  # the form's confirmation is over the cap too


def test_request_replies_never_quote_the_senders_text(app, sink, smtpd_port):
    make_list("team@example.org", "Team")
    spam = "Cheap pills at https://spam.example/buy now"
    with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        for subject, body in (
            ("hello", f"{spam}\nhelp\n"),
            ("subscribe", f"subscribe\n{spam}\n"),
            (spam, spam),
        ):
            client.sendmail(
                VICTIM,
                ["team-request@example.org"],
                message(VICTIM, "team-request@example.org", subject, body),
            )
    drain(app)
    replies = to_victim(sink)
    assert len(replies) == 3
    for reply in replies:
        assert b"spam.example" not in reply.data and b"pills" not in reply.data.lower()
