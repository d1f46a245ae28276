"""Issue 12 item 5: nothing leaves signed with our domain while speaking for someone it cannot prove to be."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Post, PostStatus, Role
from tests.ingress.conftest import app_with
from tests.support.factories import make_list, make_user, message
from tests.support.stack import drain, receiver, send

OUR_MTA = "mx.example.org"
INJECTED = '"=?utf-8?q?IT_Admin=0D=0ABcc:_victim@example.net?=" <admin@example.org>'


@pytest.fixture
def stack(settings, redis_url, sink, smtpd_port):
    overrides = dict(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    with (
        app_with(settings, AUTHSERV_IDS=f"{OUR_MTA}, other.example.org", **overrides) as app,
        receiver(app, smtpd_port),
    ):
        yield app


def with_results(raw: bytes, *results: str) -> bytes:
    return b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results) + raw


def test_owner_forwards_speak_for_the_list_owner_address_not_the_author(stack, sink, smtpd_port):
    mlist = make_list("team@example.org", "Team")
    make_user("olga@example.com", roles={mlist: Role.OWNER})
    raw = message(sender="IT Admin <admin@example.org>", to="team-owner@example.org", subject="Reset")
    raw = b"Sender: admin@example.org\r\nReply-To: phisher@example.net\r\n" + raw
    send(smtpd_port, "attacker@example.net", ["team-owner@example.org"], raw)
    drain(stack)
    [copy] = sink[1].messages
    forwarded = message_from_bytes(copy.data, policy=default)
    assert forwarded["From"].addresses[0].addr_spec == "team-owner@example.org"
    assert "admin@example.org via Team" in str(forwarded["From"])
    assert forwarded["Reply-To"] == "IT Admin <admin@example.org>"  # the author, re-validated; not phisher
    assert forwarded["Sender"] is None and forwarded["X-Original-From"] == '"IT Admin" <admin@example.org>'
    assert copy.mail_from == "team-bounces@example.org"


def test_an_injected_author_name_cannot_add_fields_to_the_forward(stack, sink, smtpd_port):
    mlist = make_list("team@example.org", "Team")
    make_user("olga@example.com", roles={mlist: Role.OWNER})
    raw = message(sender="x@example.net", to="team-owner@example.org").replace(
        b"From: x@example.net", f"From: {INJECTED}".encode()
    )
    send(smtpd_port, "attacker@example.net", ["team-owner@example.org"], raw)
    drain(stack)
    [copy] = sink[1].messages
    forwarded = message_from_bytes(copy.data, policy=default)
    assert forwarded["Bcc"] is None and "\n" not in str(forwarded["Reply-To"])
    assert forwarded["Reply-To"].addresses[0].addr_spec == "admin@example.org"


@pytest.mark.parametrize(
    "results, held",
    [
        ((f"{OUR_MTA}; spf=pass; dmarc=fail (p=reject) header.from=example.org",), True),
        ((f"{OUR_MTA} 1; dkim=none; dmarc=fail header.from=example.org",), True),
        ((f"{OUR_MTA}; dmarc=pass header.from=example.org",), False),
        (("evil.example.net; dmarc=fail header.from=example.org",), False),  # not our MTA's verdict
        ((f"{OUR_MTA}; dmarc=pass (dmarc=fail in a comment)",), False),
    ],
)
def test_a_post_from_our_own_domain_failing_dmarc_is_held(stack, sink, smtpd_port, results, held):
    make_list("team@example.org", "Team", posting_policy="open", dmarc_mode="off")
    raw = with_results(message(sender="IT Admin <admin@example.org>", to="team@example.org"), *results)
    send(smtpd_port, "attacker@example.net", ["team@example.org"], raw)
    drain(stack)
    post = db.session.scalar(select(Post))
    if held:
        assert post.status == PostStatus.HELD and "failed DMARC" in post.decision_reason
        assert "own-domain-spoof" in post.rule_hits
    else:
        assert post.status == PostStatus.DISTRIBUTED, post.decision_reason


def test_the_same_failure_from_another_domain_is_not_this_rules_business(stack, sink, smtpd_port):
    make_list("team@example.org", "Team", posting_policy="open", dmarc_mode="off")
    raw = with_results(message(sender="bob@example.net"), f"{OUR_MTA}; dmarc=fail header.from=example.net")
    send(smtpd_port, "bob@example.net", ["team@example.org"], raw)
    drain(stack)
    assert db.session.scalar(select(Post.status)) == PostStatus.DISTRIBUTED


def test_no_reply_to_a_request_whose_sender_failed_spf(stack, sink, smtpd_port):
    make_list("team@example.org", "Team")
    raw = with_results(
        message(sender="victim@example.net", to="team-request@example.org", subject="help"),
        f"{OUR_MTA}; spf=fail smtp.mailfrom=victim@example.net",
    )
    send(smtpd_port, "victim@example.net", ["team-request@example.org"], raw)
    drain(stack)
    assert sink[1].messages == []
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.DISCARDED and "SPF or DMARC failed" in post.decision_reason


def test_no_rejection_notice_to_a_sender_that_failed_spf(stack, sink, smtpd_port):
    make_list(
        "team@example.org", "Team", posting_policy="members", nonmember_action="reject", dmarc_mode="off"
    )
    forged = with_results(
        message(sender="victim@example.net"), f"{OUR_MTA}; spf=fail smtp.mailfrom=victim@example.net"
    )
    honest = message(sender="stranger@example.net", subject="Hi again")
    send(smtpd_port, "victim@example.net", ["team@example.org"], forged)
    send(smtpd_port, "stranger@example.net", ["team@example.org"], honest)
    drain(stack)
    assert db.session.scalars(select(Post.status)).all() == [PostStatus.REJECTED] * 2
    assert [m.rcpt_tos for m in sink[1].messages] == [["stranger@example.net"]]
