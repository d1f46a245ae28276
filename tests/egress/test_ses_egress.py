"""SES egress through moto's server on loopback; sent mail is read back from moto."""

from __future__ import annotations

import email
from email.policy import default

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from sqlalchemy import select

from app import create_app
from app.config import load_settings
from app.egress.base import Outgoing
from app.egress.ratelimit import SharedRateLimiter
from app.egress.ses import SESSender
from app.extensions import db
from app.ingress import Envelope, accept
from app.models import Delivery, DeliveryStatus, Post, PostStatus
from tests.support.aws import REGION, serve_app
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain

MEMBERS = ("ann@example.net", "bob@example.net")


def sent_messages() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


@pytest.fixture
def ses_app(settings, redis_url, moto):
    moto.client("ses").verify_domain_identity(Domain="example.org")
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="ses",
        SES_ENDPOINT_URL=moto.url,
        SES_REGION=REGION,
        SES_CONFIGURATION_SET="mailflow",
        SES_MAX_SEND_RATE="50",
    )
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def _run(app, author: str) -> Post:
    mlist = make_list("team@example.org", "Team", nonmember_action="accept")
    make_members(mlist, *MEMBERS)
    [post_id] = accept(message(sender=author), Envelope(author, ("team@example.org",)))
    drain(app)
    db.session.expire_all()
    return db.session.get(Post, post_id)


def test_copies_go_through_ses_and_keep_the_message_id(ses_app):
    post = _run(ses_app, "Alice <alice@example.org>")
    assert post.status == PostStatus.DISTRIBUTED
    sent = {m.id: m for m in sent_messages()}
    copies = db.session.scalars(select(Delivery).order_by(Delivery.recipient)).all()
    assert [c.status for c in copies] == [DeliveryStatus.SENT] * 2
    for copy in copies:
        raw = sent[copy.provider_message_id]
        assert copy.recipient in raw.destinations
        parsed = email.message_from_string(raw.raw_data, policy=default)
        assert parsed["From"] == "Alice <alice@example.org>"  # a verified domain is left alone
        assert parsed["List-Id"] == '"Team" <team.example.org>'


def test_unverified_author_goes_out_from_the_list_with_reply_to(ses_app):
    _run(ses_app, "Carol Jones <carol@unverified.example>")
    [first, *_] = sent_messages()
    parsed = email.message_from_string(first.raw_data, policy=default)
    assert parsed["From"].addresses[0].addr_spec == "team@example.org"
    assert parsed["From"].addresses[0].display_name == "Carol Jones via Team"
    assert parsed["Reply-To"] == "carol@unverified.example"
    assert first.source == "team@example.org"  # moto read the envelope sender from the rewritten From


def test_tags_configuration_set_and_rejection(moto):
    moto.client("ses").verify_domain_identity(Domain="example.org")
    settings = load_settings(
        {"EGRESS": "ses", "SES_ENDPOINT_URL": moto.url, "SES_CONFIGURATION_SET": "mailflow"}
    )
    sender = SESSender(settings, SharedRateLimiter(None, "ses", 0))
    seen: list[dict] = []
    sender.client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: seen.append(params)
    )
    ok = Outgoing(
        5,
        "x@example.org",
        "bob@example.net",
        b"From: a@example.org\r\nSubject: t\r\n\r\nhi\r\n",
        (("list", "team.example.org"), ("post", "9"), ("delivery", "5")),
    )
    bad = Outgoing(
        6, "x@example.org", "bob@example.net", b"From: a@elsewhere.example\r\nSubject: t\r\n\r\nhi\r\n"
    )
    good, rejected = sender.send([ok, bad])
    assert good.ok and good.provider_id in {m.id for m in sent_messages()}
    assert seen[0]["EmailTags"] == [
        {"Name": "list", "Value": "team_example_org"},
        {"Name": "post", "Value": "9"},
        {"Name": "delivery", "Value": "5"},
    ]
    assert seen[0]["ConfigurationSetName"] == "mailflow"
    assert not rejected.ok and rejected.permanent and "MessageRejected" in rejected.error
    assert not rejected.bounce  # the content was refused, not the member


def throttling_api(environ, start_response):
    """What SES answers when the sending rate is exceeded."""
    start_response(
        "429 Too Many Requests",
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", "TooManyRequestsException")],
    )
    return [b'{"message": "Maximum sending rate exceeded."}']


def test_throttling_is_retried_and_loses_nothing(ses_app, settings, moto):
    from app.pipeline.deliver import deliver_batch

    mlist = make_list("team@example.org", "Team", nonmember_action="accept")
    make_members(mlist, *MEMBERS)
    with serve_app(throttling_api) as throttling_url:
        throttled = create_app({**settings, "SES_ENDPOINT_URL": throttling_url})
        [post_id] = accept(
            message(sender="alice@example.org"), Envelope("alice@example.org", ("team@example.org",))
        )
        from app.pipeline.runner import process

        with throttled.app_context():
            process(post_id)
            ids = list(db.session.scalars(select(Delivery.id)))
            deliver_batch(post_id, ids)
            rows = db.session.scalars(select(Delivery)).all()
            assert {r.status for r in rows} == {DeliveryStatus.PENDING}
            assert all("TooManyRequestsException" in r.last_error and r.next_attempt_at for r in rows)
            db.session.remove()
            db.engine.dispose()
    db.session.expire_all()
    # the backoff ran out; SES accepts now: every copy goes out once
    db.session.execute(Delivery.__table__.update().values(next_attempt_at=None))
    db.session.commit()
    deliver_batch(post_id, ids)
    rows = db.session.scalars(select(Delivery)).all()
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert sorted(m.destinations[0] for m in sent_messages()) == sorted(MEMBERS)  # moto appends To: too
