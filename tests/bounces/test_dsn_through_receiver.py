"""Every real bounce of the corpus, sent to a VERP address through the SMTP receiver, is recorded."""

from __future__ import annotations

import email
import smtplib
from pathlib import Path

import pytest
from flufl.bounce import all_failures
from sqlalchemy import select

from app import create_app
from app.bounces.verp import verp_address
from app.extensions import db
from app.models import Bounce, BounceKind, Delivery, DeliveryStatus, Member, Post, PostStatus
from tests.bounces.support import member, sent_post
from tests.support.corpus import corpus_dir
from tests.support.db import truncate_all
from tests.support.factories import make_list
from tests.support.stack import drain, receiver

CORPUS = corpus_dir("bounces")
SCORE_NOTHING = (BounceKind.DELAYED, BounceKind.AUTO_REPLY, BounceKind.UNRECOGNISED)
FILES = sorted(p for p in CORPUS.glob("*.txt"))


def wire(path: Path) -> bytes:
    """The file as an MTA sends it: CRLF line ends (the corpus is stored with LF)."""
    return path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def expected(raw: bytes) -> list[str]:
    temporary, permanent = all_failures(email.message_from_bytes(raw))
    return sorted({a.decode("ascii").lower() for a in (permanent or temporary) if b"@" in a})


@pytest.fixture
def stack_app(settings, redis_url):
    settings.update(REDIS_URL=redis_url)
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def test_the_corpus_is_there():
    assert len(FILES) == 117, CORPUS


def test_all_corpus_bounces_reach_their_delivery(stack_app, smtpd_port):
    mlist = make_list("team@example.org", "Team")
    plan: dict[int, tuple[str, list[str]]] = {}  # delivery id -> (file, addresses flufl finds)
    for path in FILES:
        raw = path.read_bytes()
        found = expected(raw)
        [delivery] = sent_post(mlist, [member(mlist, found[0] if found else "someone@example.net")])
        plan[delivery.id] = (path.name, found)
    with receiver(stack_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        for delivery_id, (name, _) in plan.items():
            refused = client.sendmail(
                "", [verp_address("team-bounces@example.org", delivery_id)], wire(CORPUS / name)
            )
            assert refused == {}, name
    drain(stack_app)
    bounces = {b.delivery_id: b for b in db.session.scalars(select(Bounce))}
    assert sorted(bounces) == sorted(plan), "every bounce is recorded against its delivery"
    with_address = 0
    for delivery_id, (name, found) in plan.items():
        bounce = bounces[delivery_id]
        delivery = db.session.get(Delivery, delivery_id)
        assert bounce.member_id == delivery.member_id, name
        if found:
            with_address += 1
            assert bounce.address in found, name
            assert bounce.address == delivery.recipient, name
        assert bounce.kind in (BounceKind.HARD, BounceKind.SOFT, *SCORE_NOTHING), name
        if bounce.kind in SCORE_NOTHING:  # (a counting kind may still not count: one a day per member)
            assert not bounce.counted, name
        if bounce.kind == BounceKind.HARD:
            assert delivery.status == DeliveryStatus.BOUNCED, name
    assert with_address >= 90  # flufl.bounce reads a failed address in most of the corpus
    delayed = {plan[d][0] for d, b in bounces.items() if b.kind == BounceKind.DELAYED}
    assert delayed == {"dsn_05.txt", "dsn_06.txt", "dsn_07.txt", "dsn_08.txt", "dsn_17.txt", "simple_28.txt"}
    assert {plan[d][0] for d, b in bounces.items() if b.kind == BounceKind.AUTO_REPLY} == {"qmail_08.txt"}
    posts = db.session.scalars(select(Post)).all()
    assert all(p.status != PostStatus.SHUNTED for p in posts)


def test_bounce_without_token_is_recorded_for_the_address_but_not_counted(stack_app, smtpd_port):
    """No token and no copy of ours quoted: anyone could have sent it (issue 12 item 1), so it scores nothing."""
    mlist = make_list("team@example.org", "Team")
    raw = wire(CORPUS / "postfix_01.txt")
    [address] = expected(raw)
    target = member(mlist, address)
    with receiver(stack_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port, timeout=30) as client:
        assert client.sendmail("", ["team-bounces@example.org"], raw) == {}
        # a forged token is no token: the address inside the DSN is used instead
        assert client.sendmail("", ["team-bounces+1x0000000000@example.org"], raw + b"\r\n") == {}
    drain(stack_app)
    bounces = db.session.scalars(select(Bounce)).all()
    assert [(b.address, b.member_id, b.delivery_id, b.kind, b.counted) for b in bounces] == [
        (address, target.id, None, BounceKind.HARD, False)
    ] * 2
    assert db.session.get(Member, target.id).bounce_score == 0


def test_token_in_the_dsn_header_counts_when_the_envelope_lost_it(stack_app):
    """The IMAP poller may only know the mailbox address; the DSN's own To: still names the delivery."""
    from app.ingress.accept import Envelope, accept
    from app.models import PostSource

    mlist = make_list("team@example.org", "Team")
    [delivery] = sent_post(mlist, [member(mlist, "ann@example.net")])
    dsn = wire(CORPUS / "postfix_01.txt").replace(
        b"\r\nTo: ",
        f"\r\nTo: {verp_address('team-bounces@example.org', delivery.id)}\r\nX-Old-To: ".encode(),
        1,
    )
    accept(dsn, Envelope("", ("team-bounces@example.org",), source=PostSource.IMAP))
    drain(stack_app)
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert bounce.delivery_id == delivery.id and bounce.member_id == delivery.member_id
