"""Helpers for pipeline tests: .eml fixtures, posts stored as ingress stores them, decorated copies."""

from __future__ import annotations

import hashlib
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from app.extensions import db
from app.ingress.headers import summary
from app.models import Delivery, MailingList, Member, Post
from app.pipeline.runner import context_for, prepare_bytes

FIXTURES = Path(__file__).parent.parent / "fixtures"


def fixture(name: str) -> bytes:
    """An .eml fixture with CRLF line ends, as an MTA hands it over."""
    return (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def store_post(
    mlist: MailingList, raw: bytes, mail_from: str = "alice@example.org", rcpt: str | None = None
) -> Post:
    """A post row as app.ingress.accept stores one, without enqueueing it.

    The summary fields are scrubbed of lone surrogates: app.ingress.headers.summary keeps them from raw
    8-bit header bytes and the database refuses them (reported to the ingress owner).
    """
    head = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in summary(raw).items()}
    post = Post(
        list_id=mlist.id,
        role="post",
        mail_from=mail_from,
        rcpt_tos=[rcpt or mlist.address],
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw + mail_from.encode()).hexdigest(),
        **head,
    )
    db.session.add(post)
    db.session.commit()
    return post


def ctx(mlist: MailingList, raw: bytes, mail_from: str = "alice@example.org"):
    """The pipeline context for a freshly stored post."""
    return context_for(store_post(mlist, raw, mail_from))


def prepared_post(mlist: MailingList, raw: bytes) -> Post:
    """A stored post run through every prepare handler (not fanned out)."""
    post = store_post(mlist, raw)
    post.prepared, post.prepared_layout = prepare_bytes(post)
    db.session.commit()
    return post


def copy_for(post: Post, member: Member) -> EmailMessage:
    """The copy one member gets, parsed back with the modern policy."""
    from app.pipeline.personalise import render_copy

    delivery = Delivery(id=1, post_id=post.id, member_id=member.id, recipient=member.email, member=member)
    return message_from_bytes(render_copy(post, post.mailing_list, delivery), policy=default)


@pytest.fixture
def fixture_bytes():
    return fixture


@pytest.fixture
def mail_app(settings, sink):
    """An app whose egress is SMTP to the sink; jobs run in-process."""
    from app import create_app
    from tests.support.db import truncate_all

    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
