"""A relay refusing every recipient at RCPT is a relay fault: no member is blamed, the copies wait."""

from __future__ import annotations

from sqlalchemy import select, text

from app.egress import SendResult
from app.extensions import db
from app.models import Bounce, Delivery, DeliveryStatus, Member, MemberStatus, Post, PostStatus, RelayFault
from app.pipeline.deliver import COMMIT_EVERY, deliver_batch
from app.pipeline.relayfault import fault_in, signature
from app.pipeline.runner import process
from tests.support.factories import make_list, make_members, make_user, message

RELAY_DENIED = "554 5.7.1 <{}>: Relay access denied"
MEMBERS = [f"m{n}@example.net" for n in range(8)]


def _post(list_id: int, n: int) -> tuple[int, list[int]]:
    post = Post(
        list_id=list_id,
        raw=message(subject=f"post {n}"),
        sha256=f"x{n}",
        status=PostStatus.RECEIVED,
        mail_from="alice@example.org",
        sender="alice@example.org",
    )
    db.session.add(post)
    db.session.commit()
    process(post.id)
    ids = db.session.scalars(select(Delivery.id).where(Delivery.post_id == post.id).order_by(Delivery.id))
    return post.id, list(ids)


def test_a_relay_refusing_every_recipient_disables_no_one(smtp_app, sink):
    _, handler = sink
    handler.refuse_all = RELAY_DENIED
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", *MEMBERS)
    make_user("admin@example.org", admin=True)
    posts = [_post(mlist.id, n) for n in range(6)]  # more posts than the bounce threshold (5)
    for post_id, ids in posts:
        deliver_batch(post_id, ids)
    db.session.expire_all()
    members = db.session.scalars(select(Member)).all()
    assert {m.status for m in members} == {MemberStatus.ACTIVE}
    assert {m.bounce_score for m in members} == {0.0}
    assert db.session.scalars(select(Bounce)).all() == []
    copies = db.session.scalars(select(Delivery)).all()
    assert {c.status for c in copies} == {DeliveryStatus.PENDING}
    assert all("Relay access denied" in c.last_error for c in copies)
    assert {db.session.get(Post, p).status for p, _ in posts} == {PostStatus.DISTRIBUTING}
    [fault] = db.session.scalars(select(RelayFault)).all()
    assert fault.cleared_at is None and fault.copies == len(copies)
    assert fault.signature == "554 5.7.1 relay access denied"

    # the relay is fixed: the next tries send every copy and close the fault
    handler.refuse_all = ""
    db.session.execute(text("UPDATE deliveries SET next_attempt_at = NULL"))
    db.session.commit()
    for post_id, ids in posts:
        deliver_batch(post_id, ids)
    db.session.expire_all()
    assert {c.status for c in db.session.scalars(select(Delivery))} == {DeliveryStatus.SENT}
    assert {db.session.get(Post, p).status for p, _ in posts} == {PostStatus.DISTRIBUTED}
    assert db.session.scalar(select(RelayFault.cleared_at)) is not None
    assert len(handler.by_rcpt()) == len(MEMBERS) + 1


def test_a_relay_fault_stops_the_batch_and_leaves_the_rest_untried(smtp_app, sink):
    _, handler = sink
    handler.refuse_all = "554 5.7.1 <{}>: Recipient address rejected: not allowed"
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", *[f"p{n}@example.net" for n in range(119)])
    post_id, ids = _post(mlist.id, 1)
    deliver_batch(post_id, ids)
    db.session.expire_all()
    copies = db.session.scalars(select(Delivery)).all()
    assert {c.status for c in copies} == {DeliveryStatus.PENDING}
    untried = [c for c in copies if c.attempts == 0]
    assert len(untried) == 120 - COMMIT_EVERY  # the first chunk showed the fault; the rest was not sent
    assert all(c.next_attempt_at is not None for c in untried)
    assert db.session.scalar(select(RelayFault.copies)) == COMMIT_EVERY


def _refused(n: int, error: str) -> SendResult:
    return SendResult(n, ok=False, error=error, permanent=True)


def test_a_few_different_bounces_are_bounces_not_a_fault():
    results = [SendResult(1, ok=True), _refused(2, "550 5.1.1 <a@x.net>: no such user")]
    results += [SendResult(n, ok=True) for n in range(3, 7)]
    assert fault_in(results) is None
    mostly = [_refused(n, f"550 5.1.1 <u{n}@x.net>: User unknown") for n in range(4)] + [
        SendResult(9, ok=True)
    ]
    assert fault_in(mostly) == "550 5.1.1 user unknown"
    assert fault_in([_refused(1, "554 5.7.1 <a@x.net>: Relay access denied")]) == signature(
        "554 5.7.1 Relay access denied"
    )
    assert fault_in([_refused(1, "550 5.1.1 <a@x.net>: User unknown")], ["550 5.1.1 user unknown"])


def test_site_admins_are_mailed_once_per_fault(smtp_app, sink):
    _, handler = sink
    # The relay refuses the members' domain only, so the admins' notice can get through.
    handler.refuse = {m: RELAY_DENIED.format(m) for m in MEMBERS}
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "alice@example.org", *MEMBERS)
    make_user("admin@example.org", admin=True)
    for n in range(2):
        post_id, ids = _post(mlist.id, n)
        deliver_batch(post_id, ids)
    notices = [m for m in handler.messages if m.rcpt_tos == ["admin@example.org"]]
    assert len(notices) == 1  # the second post found the fault open: no second mail
    assert b"the outgoing relay refuses every recipient" in notices[0].data
    assert b"Auto-Submitted: auto-generated" in notices[0].data
