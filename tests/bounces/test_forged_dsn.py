"""Issue 12 item 1: forged DSNs to plain LIST-bounces@ cannot disable members; only proven bounces count."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.bounces.verp import verp_address
from app.extensions import db
from app.models import Bounce, Delivery, DeliveryStatus, MailingList, Member, MemberStatus, Post, PostStatus
from app.models.timestamps import utcnow
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members
from tests.support.stack import drain, receiver

COPY_ID = "<copy-1@example.org>"


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


def dsn(*failed: str, quoted: str = "") -> bytes:
    """An RFC 3464 DSN naming failed recipients; `quoted` is the returned header block (or nothing)."""
    statuses = "".join(
        f"Final-Recipient: rfc822; {a}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        for a in failed
    )
    returned = f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted}\r\n" if quoted else ""
    return (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: team-bounces@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.net>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.net\r\n\r\n{statuses}"
        f"{returned}--B--\r\n"
    ).encode()


def copies(mlist: MailingList, members: list[Member], sent_days_ago: float = 1) -> list[Delivery]:
    """A distributed post (Message-ID COPY_ID) with a sent copy to each member."""
    post = Post(
        list_id=mlist.id,
        raw=b"Subject: x\r\n\r\nx\r\n",
        sha256=f"copy-{utcnow().timestamp()}",
        status=PostStatus.DISTRIBUTED,
        message_id=COPY_ID,
        prepared=f"Message-ID: {COPY_ID}\r\nSubject: x\r\n\r\nx\r\n".encode(),
    )
    db.session.add(post)
    db.session.flush()
    sent_at = utcnow() - timedelta(days=sent_days_ago)
    rows = [
        Delivery(
            post_id=post.id, member_id=m.id, recipient=m.email, status=DeliveryStatus.SENT, sent_at=sent_at
        )
        for m in members
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def deliver_dsns(app, port: int, *messages: bytes, rcpt: str = "team-bounces@example.org") -> None:
    with receiver(app, port), smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for n, raw in enumerate(messages):
            assert client.sendmail("", [rcpt], raw + f"X-N: {n}\r\n".encode()) == {}
    drain(app)


def members_of(mlist: MailingList) -> dict[str, Member]:
    db.session.expire_all()
    return {m.email: m for m in db.session.scalars(select(Member).where(Member.list_id == mlist.id))}


def test_five_forged_dsns_naming_members_disable_nobody(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net", "bob@example.net")
    forged = dsn("ann@example.net", "bob@example.net")
    deliver_dsns(stack_app, smtpd_port, *[forged] * 5)
    for member in members_of(mlist).values():
        assert member.status == MemberStatus.ACTIVE and member.bounce_score == 0
    bounces = db.session.scalars(select(Bounce)).all()
    assert len(bounces) == 10 and not any(b.counted for b in bounces)
    assert {b.member_id for b in bounces} == {m.id for m in members_of(mlist).values()}  # the owner sees them
    assert all(b.delivery_id is None and b.diagnostic.startswith("not counted") for b in bounces), [
        (b.delivery_id, b.diagnostic[:80]) for b in bounces
    ]
    reasons = [p.decision_reason for p in db.session.scalars(select(Post))]
    assert all("not counted" in r for r in reasons), reasons


def test_a_member_sent_a_copy_is_not_scored_by_a_dsn_that_does_not_quote_it(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net")
    copies(mlist, list(members_of(mlist).values()))
    deliver_dsns(stack_app, smtpd_port, dsn("ann@example.net", quoted="Message-ID: <other@example.org>\r\n"))
    assert members_of(mlist)["ann@example.net"].bounce_score == 0
    assert [b.counted for b in db.session.scalars(select(Bounce))] == [False]


def test_a_dsn_quoting_the_copys_message_id_counts_for_that_member_only(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net", "bob@example.net")
    ann = members_of(mlist)["ann@example.net"]
    [copy] = copies(mlist, [ann])  # bob was sent nothing
    quoted = f"From: someone@example.org\r\nMessage-ID: {COPY_ID}\r\nSubject: x\r\n"
    deliver_dsns(stack_app, smtpd_port, dsn("ann@example.net", "bob@example.net", quoted=quoted))
    found = members_of(mlist)
    assert found["ann@example.net"].bounce_score == 1.0
    assert found["bob@example.net"].bounce_score == 0
    by_address = {b.address: b for b in db.session.scalars(select(Bounce))}
    assert by_address["ann@example.net"].counted and by_address["ann@example.net"].delivery_id == copy.id
    assert not by_address["bob@example.net"].counted
    assert db.session.get(Delivery, copy.id).status == DeliveryStatus.BOUNCED


def test_a_dsn_quoting_our_envelope_counts(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net")
    [copy] = copies(mlist, list(members_of(mlist).values()))
    quoted = f"Return-Path: <{verp_address('team-bounces@example.org', copy.id)}>\r\nSubject: x\r\n"
    deliver_dsns(stack_app, smtpd_port, dsn("ann@example.net", quoted=quoted))
    assert members_of(mlist)["ann@example.net"].bounce_score == 1.0


def test_a_quoted_copy_sent_long_ago_proves_nothing(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net")
    copies(mlist, list(members_of(mlist).values()), sent_days_ago=30)
    deliver_dsns(stack_app, smtpd_port, dsn("ann@example.net", quoted=f"Message-ID: {COPY_ID}\r\n"))
    assert members_of(mlist)["ann@example.net"].bounce_score == 0


def test_a_forged_verp_token_is_no_proof(stack_app, smtpd_port):
    mlist = make_list()
    make_members(mlist, "ann@example.net")
    copies(mlist, list(members_of(mlist).values()))
    forged = dsn("ann@example.net", quoted="Return-Path: <team-bounces+1x0000000000@example.org>\r\n")
    deliver_dsns(stack_app, smtpd_port, forged, rcpt="team-bounces+1x0000000000@example.org")
    assert members_of(mlist)["ann@example.net"].bounce_score == 0
