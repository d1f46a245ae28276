"""Email commands end to end: smtplib -> receiver -> real Redis -> real RQ worker -> smtp egress -> sink."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Member,
    MemberStatus,
    Post,
    PostStatus,
    Role,
    SubscriptionPolicy,
    SystemMail,
    SystemMailStatus,
)
from app.models.timestamps import utcnow
from app.pipeline.runner import process
from app.sysmail.outbox import send_stored
from tests.ingress.conftest import app_with
from tests.support.factories import make_list, make_members, make_user, message
from tests.support.stack import drain, receiver, send

BOB = "bob@example.net"


@pytest.fixture
def stack(settings, redis_url, sink, smtpd_port):
    controller, _ = sink
    with (
        app_with(
            settings,
            REDIS_URL=redis_url,
            EGRESS="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(controller.port),
        ) as app,
        receiver(app, smtpd_port),
    ):
        yield app


def mail(stack, port: int, to: str, sender: str = BOB, **fields) -> None:
    send(port, sender, [to], message(sender=sender or "daemon@example.net", to=to, **fields))
    drain(stack)


def replies(sink, rcpt: str = BOB) -> list:
    return [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt().get(rcpt, [])]


def member(email: str = BOB) -> Member | None:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.email == email))


def test_join_confirm_by_reply(stack, sink, smtpd_port):
    make_list("team@example.org", subscription_policy=SubscriptionPolicy.CONFIRM)
    mail(stack, smtpd_port, "team-join@example.org")
    [ask] = replies(sink)
    assert ask["Auto-Submitted"] == "auto-replied" and ask["In-Reply-To"]
    token = member().confirm_token
    assert ask["Reply-To"] == f"team-confirm+{token}@example.org"
    assert f"https://lists.example.org/confirm/{token}" in ask.get_content()
    assert member().status == MemberStatus.PENDING
    assert sink[1].messages[0].mail_from == "team-bounces@example.org"

    mail(stack, smtpd_port, ask["Reply-To"], subject=f"Re: {ask['Subject']}")
    assert member().status == MemberStatus.ACTIVE
    assert "now subscribed" in replies(sink)[-1].get_content()


def test_request_subject_subscribe_on_an_open_list(stack, sink, smtpd_port):
    make_list("team@example.org", subscription_policy=SubscriptionPolicy.OPEN)
    mail(stack, smtpd_port, "team-request@example.org", subject="subscribe")
    assert member().status == MemberStatus.ACTIVE
    [reply] = replies(sink)
    assert "now subscribed" in reply.get_content()
    post = db.session.scalar(select(Post))
    assert (post.role, post.status, post.decision_reason) == (
        "request",
        PostStatus.DISTRIBUTED,
        "subscribe: subscribed",
    )


def test_leave_is_confirmed_by_the_address_itself(stack, sink, smtpd_port):
    mlist = make_list("team@example.org")
    make_members(mlist, BOB)
    mail(stack, smtpd_port, "team-request@example.org", subject="", body="unsubscribe\n")
    assert member().status == MemberStatus.ACTIVE  # not yet: a forged sender must not unsubscribe anyone
    [ask] = replies(sink)
    mail(stack, smtpd_port, ask["Reply-To"])
    assert member().status == MemberStatus.UNSUBSCRIBED
    mail(stack, smtpd_port, "team-leave@example.org")
    assert "not subscribed" in replies(sink)[-1].get_content()


def test_help_and_unknown_commands(stack, sink, smtpd_port):
    make_list("team@example.org")
    mail(stack, smtpd_port, "team-request@example.org", subject="help")
    mail(stack, smtpd_port, "team-request@example.org", subject="hello", body="what can I do\n")
    first, second = replies(sink)
    assert "team-join@example.org" in first.get_content()
    assert "not understood" in second.get_content() and "team-request@example.org" in second.get_content()
    assert "what can I do" not in second.get_content()  # never quoted: the sender may be forged


def test_no_reply_to_null_senders_or_automatic_mail(stack, sink, smtpd_port):
    make_list("team@example.org", subscription_policy=SubscriptionPolicy.OPEN)
    mail(stack, smtpd_port, "team-join@example.org", sender="")
    mail(stack, smtpd_port, "team-request@example.org", subject="subscribe x")
    send(
        smtpd_port,
        BOB,
        ["team-join@example.org"],
        b"Auto-Submitted: auto-replied\r\n" + message(sender=BOB, subject="Out of office"),
    )
    drain(stack)
    statuses = sorted(db.session.scalars(select(Post.status)))
    assert statuses == [PostStatus.DISCARDED, PostStatus.DISCARDED, PostStatus.DISTRIBUTED]
    assert len(replies(sink)) == 1  # only the plain human request was answered


def test_a_confirmation_token_of_another_list_does_nothing(stack, sink, smtpd_port):
    make_list("team@example.org")
    make_list("dev@example.org")
    mail(stack, smtpd_port, "dev-join@example.org")
    token = member().confirm_token
    mail(stack, smtpd_port, f"team-confirm+{token}@example.org")
    assert member().status == MemberStatus.PENDING
    assert "unknown or expired" in replies(sink)[-1].get_content()


def test_owner_mail_is_forwarded_to_the_owners(stack, sink, smtpd_port):
    mlist = make_list("team@example.org")
    make_user("olga@example.com", roles={mlist: Role.OWNER})
    make_user("mo@example.com", roles={mlist: Role.MODERATOR})
    make_user("root@example.com", admin=True)
    raw = message(sender=BOB, to="team-owner@example.org", subject="A question")
    send(smtpd_port, BOB, ["team-owner@example.org"], raw)
    drain(stack)
    [copy] = sink[1].messages
    assert copy.rcpt_tos == ["olga@example.com"] and copy.mail_from == "team-bounces@example.org"
    assert copy.data.startswith(b"Received: from ")
    forwarded = message_from_bytes(copy.data, policy=default)  # From: ours, the author in Reply-To
    assert forwarded["From"].addresses[0].addr_spec == "team-owner@example.org"
    assert forwarded["Reply-To"] == BOB and forwarded["Subject"] == "A question"
    assert forwarded.get_content() == message_from_bytes(raw, policy=default).get_content()


def test_a_reply_that_cannot_be_sent_now_is_retried(stack, sink, smtpd_port):
    make_list("team@example.org", subscription_policy=SubscriptionPolicy.OPEN)
    sink[1].refuse[BOB] = "451 4.3.0 try later"
    mail(stack, smtpd_port, "team-request@example.org", subject="subscribe")
    post = db.session.scalar(select(Post))
    reply = db.session.scalar(select(SystemMail))
    assert post.status == PostStatus.DISTRIBUTED  # the command ran; its reply is the outbox's now
    assert reply.status == SystemMailStatus.PENDING and "451" in reply.last_error and reply.kind == "reply"
    assert member().status == MemberStatus.ACTIVE  # the command ran once
    del sink[1].refuse[BOB]
    reply.next_attempt_at = utcnow()
    db.session.commit()
    send_stored(reply.id)  # what the scheduled retry does once the backoff has passed
    process(post.id)  # processing the post again changes nothing: no second reply, no second command
    assert [r["Subject"] for r in replies(sink)] == [replies(sink)[0]["Subject"]]
    assert "now subscribed" in replies(sink)[0].get_content()


def test_set_delivery_and_vacation_by_mail(stack, sink, smtpd_port):
    mlist = make_list("team@example.org")
    make_members(mlist, BOB)
    mail(stack, smtpd_port, "team-request@example.org", subject="set delivery digest")
    assert member().delivery_mode == "mime_digest"
    reply = replies(sink)[-1].get_content()
    assert "delivery is now mime_digest" in reply and "https://lists.example.org/manage/" in reply
    mail(stack, smtpd_port, "team-request@example.org", subject="", body="set vacation 2031-02-03\n")
    assert member().vacation_until.isoformat() == "2031-02-03"
    mail(stack, smtpd_port, "team-request@example.org", subject="set delivery weekly")
    assert "Use 'set delivery digest'" in replies(sink)[-1].get_content()
    assert member().delivery_mode == "mime_digest"
