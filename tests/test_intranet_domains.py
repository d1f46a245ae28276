"""MAILFLOW_ALLOWED_SPECIAL_DOMAINS: an intranet on corp.local can run lists; without it the refusal names it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.config import ConfigError, load_settings
from app.extensions import db
from app.jobs.queues import close_redis
from app.lists.lifecycle import create_list
from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.lines import parse_line
from app.membership.members import add_members
from app.models import Post, PostStatus
from tests.support.db import truncate_all
from tests.support.factories import message
from tests.support.stack import drain, receiver, send


@pytest.fixture
def intranet_app(settings, redis_url, sink):
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink[0].port),
        ALLOWED_SPECIAL_DOMAINS=".Local, home.arpa",
    )
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)


def test_without_the_setting_the_refusal_names_it(app):
    with pytest.raises(InvalidAddress, match="MAILFLOW_ALLOWED_SPECIAL_DOMAINS=local"):
        normalise_address("ann@corp.local")
    with pytest.raises(InvalidAddress, match="MAILFLOW_ALLOWED_SPECIAL_DOMAINS=home.arpa"):
        normalise_address("ann@printer.home.arpa")
    with pytest.raises(InvalidAddress) as plain_error:
        normalise_address("ann@@example.org")
    assert "MAILFLOW_ALLOWED_SPECIAL_DOMAINS" not in str(plain_error.value)  # only where it would help


def test_allowed_suffixes_are_accepted_and_no_others(intranet_app):
    assert normalise_address("Ann@Corp.LOCAL") == "ann@corp.local"
    assert normalise_address("bob@nas.home.arpa") == "bob@nas.home.arpa"
    with pytest.raises(InvalidAddress, match="special-use"):
        normalise_address("cyd@corp.test")  # not in the list
    with pytest.raises(InvalidAddress):
        normalise_address("a b@corp.local")  # the local part is still checked
    with pytest.raises(InvalidAddress):
        normalise_address("ann@-corp.local")  # and so is the domain


def test_a_bad_setting_stops_start_up_with_one_line_naming_it():
    with pytest.raises(ConfigError, match="MAILFLOW_ALLOWED_SPECIAL_DOMAINS"):
        load_settings({"ALLOWED_SPECIAL_DOMAINS": "local, corp..lan"})


def test_a_list_on_corp_local_takes_posts_from_its_members(intranet_app, sink, smtpd_port):
    _, handler = sink
    mlist = create_list("team@corp.local", "Team")
    db.session.commit()
    add_members(
        mlist.id, [parse_line("Ann@Corp.Local"), parse_line("bob@corp.local")]
    )  # as a CSV import would
    db.session.commit()
    raw = message(sender="Ann <ann@corp.local>", to="team@corp.local")
    with receiver(intranet_app, smtpd_port):
        assert send(smtpd_port, "ann@corp.local", ["team@corp.local"], raw) == {}
    drain(intranet_app)
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.DISTRIBUTED, post.hold_reasons
    assert sorted(handler.by_rcpt()) == ["ann@corp.local", "bob@corp.local"]
