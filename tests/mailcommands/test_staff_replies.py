"""Moderating by mail end to end: a held post's notice, and replies shaped like Gmail, Outlook and Apple Mail
send them, through the real receiver, a real RQ worker and the SMTP egress to a sink."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    AllowedSender,
    AuditEntry,
    Ban,
    Member,
    MemberStatus,
    ModerationToken,
    Post,
    PostStatus,
    SubscriptionPolicy,
)
from app.models.audit import Actor
from app.models.timestamps import utcnow
from app.moderation import actions
from app.sysmail.notices import NOTICES_PER_DAY
from tests.ingress.conftest import app_with
from tests.support.factories import make_list, make_user, message
from tests.support.stack import drain, receiver, send

REPLIES = Path(__file__).resolve().parent.parent / "fixtures" / "replies"
MOD, OWNER, EVE, BOB = "mod@example.org", "own@example.org", "eve@example.net", "bob@example.net"
SHAPES = ["gmail_top_posted", "outlook_html_only", "apple_mail_bottom_posted", "subject_only"]


@pytest.fixture
def stack(settings, redis_url, sink, smtpd_port):
    controller, _ = sink
    extra = dict(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    with app_with(settings, **extra) as app, receiver(app, smtpd_port):
        yield app


def reply(shape: str, author: str, to: str, command: str) -> bytes:
    text = (REPLIES / f"{shape}.eml").read_text(encoding="utf-8")
    text = text.replace("{author}", author).replace("{to}", to).replace("{command}", command)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def mails(sink, rcpt: str) -> list:
    return [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt().get(rcpt, [])]


def held(stack, port: int) -> Post:
    send(port, EVE, ["team@example.org"], message(sender=EVE, subject="Hello", body="Buy now.\nReally.\n"))
    drain(stack)
    post = db.session.scalar(select(Post).where(Post.role == "post"))
    assert post.status == PostStatus.HELD
    return post


def answer(stack, port: int, notice, shape: str, command: str, author: str = MOD, envelope: str = "") -> None:
    send(port, envelope or author, [notice["Reply-To"]], reply(shape, author, notice["Reply-To"], command))
    drain(stack)
    db.session.expire_all()


@pytest.fixture
def team():
    mlist = make_list()
    make_user(MOD, roles={mlist: "moderator"})
    make_user(OWNER, roles={mlist: "owner"})
    return mlist


def test_each_staff_member_gets_a_notice_with_own_reply_address_and_the_post(stack, sink, smtpd_port, team):
    post = held(stack, smtpd_port)
    [to_mod], [to_owner] = mails(sink, MOD), mails(sink, OWNER)
    assert to_mod["Reply-To"] != to_owner["Reply-To"]
    local = to_mod["Reply-To"].split("@")[0]
    assert local.startswith("team-confirm+m") and len(local) <= 64
    assert to_mod["Auto-Submitted"] == "auto-generated"
    text = to_mod.get_body(("plain",)).get_content()
    assert "is not a member" in text and "> Buy now." in text
    [attached] = [part for part in to_mod.iter_attachments() if part.get_content_type() == "message/rfc822"]
    assert attached.get_content()["Subject"] == "Hello"
    stored = db.session.scalars(select(ModerationToken.token_hash)).all()
    assert local.split("+")[1] not in "".join(stored)  # only hashes are kept
    assert post.id


@pytest.mark.parametrize("shape", SHAPES)
def test_approve_by_reply_from_each_mail_client(stack, sink, smtpd_port, team, shape):
    post = held(stack, smtpd_port)
    [notice] = mails(sink, MOD)
    answer(stack, smtpd_port, notice, shape, "approve")
    assert db.session.get(Post, post.id).status == PostStatus.DISTRIBUTED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.approve"))
    assert (entry.actor, entry.details) == (MOD, {"note": "by mail"})
    confirmation = mails(sink, MOD)[-1]
    assert "Approved" in confirmation.get_content() and confirmation["Auto-Submitted"] == "auto-replied"


def test_reject_with_reason_reaches_the_author(stack, sink, smtpd_port, team):
    post = held(stack, smtpd_port)
    [notice] = mails(sink, OWNER)
    answer(stack, smtpd_port, notice, "outlook_html_only", "Reject Please post in the forum instead.", OWNER)
    assert db.session.get(Post, post.id).status == PostStatus.REJECTED
    [told] = mails(sink, EVE)
    assert "Please post in the forum instead." in told.get_content()


@pytest.mark.parametrize(
    "command, status, check",
    [
        ("discard", PostStatus.DISCARDED, lambda: True),
        ("ban", PostStatus.DISCARDED, lambda: db.session.scalar(select(Ban.pattern)) == EVE),
        (
            "approve always",
            PostStatus.DISTRIBUTED,
            lambda: db.session.scalar(select(AllowedSender.pattern)) == EVE,
        ),
    ],
)
def test_discard_ban_and_approve_always(stack, sink, smtpd_port, team, command, status, check):
    post = held(stack, smtpd_port)
    answer(stack, smtpd_port, mails(sink, MOD)[0], "gmail_top_posted", command)
    assert db.session.get(Post, post.id).status == status and check()


def test_replay_forgery_other_list_and_expiry_change_nothing(stack, sink, smtpd_port, team):
    other = make_list("other@example.org")
    post = held(stack, smtpd_port)
    [notice] = mails(sink, MOD)
    wrong_list = notice["Reply-To"].replace("team-confirm", "other-confirm")
    send(smtpd_port, MOD, [wrong_list], reply("gmail_top_posted", MOD, wrong_list, "discard"))
    answer(stack, smtpd_port, notice, "gmail_top_posted", "discard", author="mallory@example.net")
    answer(stack, smtpd_port, notice, "gmail_top_posted", "discard", author=f"{MOD} <mallory@example.net>")
    answer(stack, smtpd_port, notice, "gmail_top_posted", "discard", author=OWNER)  # the owner's is another
    assert db.session.get(Post, post.id).status == PostStatus.HELD and other.id
    assert "unknown" in mails(sink, "mallory@example.net")[0].get_content()
    db.session.execute(update(ModerationToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    answer(stack, smtpd_port, notice, "gmail_top_posted", "discard")
    assert db.session.get(Post, post.id).status == PostStatus.HELD
    assert "expired" in mails(sink, MOD)[-1].get_content()


def test_a_second_reply_or_one_after_the_panel_acts_no_more(stack, sink, smtpd_port, team):
    post = held(stack, smtpd_port)
    answer(stack, smtpd_port, mails(sink, MOD)[0], "apple_mail_bottom_posted", "approve")
    answer(stack, smtpd_port, mails(sink, MOD)[0], "apple_mail_bottom_posted", "discard")
    assert db.session.get(Post, post.id).status == PostStatus.DISTRIBUTED
    assert "answered already" in mails(sink, MOD)[-1].get_content()
    second = held_again(stack, smtpd_port)
    actions.discard(second, Actor("cli"))
    owner_notice = [m for m in mails(sink, OWNER) if "Hello again" in text_of(m)][0]
    answer(stack, smtpd_port, owner_notice, "gmail_top_posted", "approve", OWNER)
    assert db.session.get(Post, second.id).status == PostStatus.DISCARDED
    assert "decided already" in mails(sink, OWNER)[-1].get_content()


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def held_again(stack, port: int) -> Post:
    send(port, EVE, ["team@example.org"], message(sender=EVE, subject="Hello again"))
    drain(stack)
    return db.session.scalar(select(Post).where(Post.subject == "Hello again"))


def test_no_action_no_reply_for_automatic_mail(stack, sink, smtpd_port, team):
    post = held(stack, smtpd_port)
    [notice] = mails(sink, MOD)
    raw = reply("gmail_top_posted", MOD, notice["Reply-To"], "approve")
    send(smtpd_port, MOD, [notice["Reply-To"]], b"Auto-Submitted: auto-replied\r\n" + raw)
    drain(stack)
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.HELD
    assert len(mails(sink, MOD)) == 1


def test_explanations_to_outsiders_are_capped(stack, sink, smtpd_port, team):
    held(stack, smtpd_port)
    [notice] = mails(sink, MOD)
    for n in range(NOTICES_PER_DAY + 2):  # each one different: the receiver drops exact duplicates
        answer(stack, smtpd_port, notice, "subject_only", f"approve {n}", author="mallory@example.net")
    assert len(mails(sink, "mallory@example.net")) == NOTICES_PER_DAY


def test_staff_notices_are_never_capped(stack, sink, smtpd_port, team):
    for n in range(NOTICES_PER_DAY + 2):
        send(smtpd_port, EVE, ["team@example.org"], message(sender=EVE, subject=f"try {n}"))
    drain(stack)
    assert len(mails(sink, MOD)) == NOTICES_PER_DAY + 2


def test_subscription_request_approved_and_rejected_by_mail(stack, sink, smtpd_port, team):
    team.subscription_policy = SubscriptionPolicy.MODERATE
    db.session.commit()
    for who in (BOB, EVE):
        send(smtpd_port, who, ["team-join@example.org"], message(sender=who, to="team-join@example.org"))
    drain(stack)
    notices = [m for m in mails(sink, MOD) if "Subscription request" in m["Subject"]]
    by_address = {BOB if BOB in m["Subject"] else EVE: m for m in notices}
    answer(stack, smtpd_port, by_address[BOB], "gmail_top_posted", "approve")
    answer(stack, smtpd_port, by_address[EVE], "outlook_html_only", "reject We only take staff.")
    bob = db.session.scalar(select(Member).where(Member.email == BOB))
    assert bob.status == MemberStatus.ACTIVE
    assert db.session.scalar(select(Member).where(Member.email == EVE)) is None
    assert "We only take staff." in mails(sink, EVE)[-1].get_content()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.deny"))
    assert entry.details["via"] == "by mail" and entry.actor == MOD
