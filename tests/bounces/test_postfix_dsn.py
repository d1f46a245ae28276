"""A DSN written by a real Postfix comes back through the receiver to the VERP address and is recorded."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.ingress import Envelope, accept
from app.models import Bounce, Delivery, DeliveryStatus, Member, Post
from tests.delivery.workers import wait_until
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, message
from tests.support.postfix import PrivatePostfix
from tests.support.smtp import start_sink
from tests.support.stack import drain, receiver

pytestmark = pytest.mark.skipif(not PrivatePostfix.available(), reason="Debian postfix is not installed")


@pytest.fixture
def mailbox_host():
    """The far side: accepts ann, refuses bob for good."""
    controller, handler = start_sink()
    handler.refuse = {
        "bob@example.net": "550 5.1.1 <bob@example.net>: Recipient address rejected: no such user"
    }
    yield controller, handler
    controller.stop()


@pytest.fixture
def postfix(mailbox_host, smtpd_port):
    # Postfix's daemons run as the postfix user: the folder must be reachable, unlike pytest's 0700 tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="mailflow-postfix-"))
    server = PrivatePostfix(folder, {"example.net": mailbox_host[0].port, "example.org": smtpd_port})
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def relay_app(settings, redis_url, postfix):
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(postfix.port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def test_postfix_dsn_bounces_back_to_the_delivery(relay_app, postfix, mailbox_host, smtpd_port):
    _, far_side = mailbox_host
    mlist = make_list("team@example.org", "Team", nonmember_action="accept")
    make_members(mlist, "ann@example.net", "bob@example.net")
    with receiver(relay_app, smtpd_port):
        accept(message(sender="carol@example.net"), Envelope("carol@example.net", ("team@example.org",)))
        drain(relay_app)  # the copies go to Postfix, which relays them to the far side
        wait_until(lambda: bool(far_side.messages), 60, "Postfix relaying ann's copy", None)

        def dsn_arrived() -> bool:
            db.session.expire_all()
            return db.session.scalar(select(Post.id).where(Post.role == "bounces")) is not None

        wait_until(dsn_arrived, 60, "Postfix's DSN at the receiver", None)
    drain(relay_app)
    bob = db.session.scalar(select(Member).where(Member.email == "bob@example.net"))
    copy = db.session.scalar(select(Delivery).where(Delivery.member_id == bob.id))
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert (bounce.delivery_id, bounce.member_id, bounce.address, bounce.kind) == (
        copy.id,
        bob.id,
        "bob@example.net",
        "hard",
    )
    assert "5.1.1" in bounce.diagnostic
    assert copy.status == DeliveryStatus.BOUNCED and bob.bounce_score == 1.0
    dsn = db.session.scalar(select(Post).where(Post.role == "bounces"))
    assert dsn.mail_from in ("", "<>") and dsn.rcpt_tos[0].startswith("team-bounces+")
    assert postfix.bounced() == ["bob@example.net"]
    assert [m.rcpt_tos for m in far_side.messages] == [["ann@example.net"]]
