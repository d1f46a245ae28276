"""CVE-2024-6923 (encoded newline becomes a header) and CVE-2023-27043 (parseaddr misreads) are closed."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import parseaddr

import pytest

from app.extensions import db
from app.mail.authors import parse_mailbox
from app.mail.headersafety import decode, defuse_field
from app.models import Member, PostStatus
from app.pipeline.runner import decide
from tests.pipeline.conftest import copy_for, fixture, prepared_post, store_post
from tests.support.factories import make_list, make_members


def test_this_python_has_the_header_injection_we_guard_against():
    """The hazard itself: decoding the subject yields a newline; re-folding it would inject Bcc."""
    msg = message_from_bytes(fixture("encoded_newline.eml"), policy=default)
    assert "\n" in str(msg["Subject"])
    with pytest.raises(
        ValueError
    ):  # the modern policy refuses to re-use it; compat32 code paths do not check
        EmailMessage(policy=SMTP)["Subject"] = str(msg["Subject"])


def test_encoded_newline_never_reaches_a_copy_as_a_header(app):
    mlist = make_list(subject_prefix="[team]", footer_template="bye")
    make_members(mlist, "bob@example.net")
    post = prepared_post(mlist, fixture("encoded_newline.eml"))
    copy = copy_for(post, db.session.query(Member).one())
    assert copy["Bcc"] is None
    assert str(copy["Subject"]) == "[team] Hello Bcc: victim@example.com"
    for name, value in copy.items():
        assert not any(c in str(value) for c in "\r\n\x00"), name


def test_encoded_newline_is_defused_even_where_the_subject_is_kept(app):
    mlist = make_list()  # no prefix: the Subject field is passed through, then re-validated
    post = prepared_post(mlist, fixture("encoded_newline.eml"))
    copy = message_from_bytes(post.prepared, policy=default)
    assert "\n" not in str(copy["Subject"]) and copy["Bcc"] is None


def test_defuse_field_removes_nul_and_keeps_clean_words():
    assert defuse_field(b"X-A: a\x00b") == b"X-A: ab"
    clean = b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?="
    assert defuse_field(clean) == clean
    assert decode(defuse_field(b"Subject: =?utf-8?b?YQ1CY2M6IHg=?=").decode()[9:]) == "a Bcc: x"


def test_parseaddr_misreads_the_crafted_from_but_we_do_not():
    crafted = "alice@example.org)<mallory@example.com>"
    assert parseaddr(crafted) == ("", "alice@example.org")  # the CVE-2023-27043 behaviour of this Python
    assert parse_mailbox(crafted) is None


@pytest.mark.parametrize(
    "value, name, address",
    [
        ("Alice <alice@example.org>", "Alice", "alice@example.org"),
        ('"Doe, Jane" <JANE@Example.ORG>', "Doe, Jane", "jane@example.org"),
        ("bob@example.org (Bob)", "Bob", "bob@example.org"),
        ("=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", "Zoë", "zoe@example.org"),
    ],
)
def test_strict_parser_reads_ordinary_mailboxes(value, name, address):
    author = parse_mailbox(value)
    assert (author.name, author.address) == (name, address)


@pytest.mark.parametrize(
    "value",
    [
        "a@example.org, b@example.org",
        "<a@example.org> <b@example.org>",
        "nobody",
        '"x" <a@b@c>',
        "",
    ],
)
def test_strict_parser_refuses_anything_else(value):
    assert parse_mailbox(value) is None


def test_crafted_from_does_not_pass_as_the_member(app):
    mlist = make_list()
    make_members(mlist, "alice@example.org")
    post = store_post(mlist, fixture("crafted_from.eml"), mail_from="mallory@example.com")
    decide(post)
    assert post.status == PostStatus.HELD
    assert post.rule_hits == ["nonmember-moderation"]


def test_a_bare_cr_in_a_header_never_starts_a_new_field():
    from app.mail.rawmessage import RawMessage

    msg = RawMessage.parse(b"From: a@example.org\r\nSubject: hi\rBcc: victim@example.com\r\n\r\nbody\rmore\n")
    assert [n for n, _ in msg.fields] == ["from", "subject"]
    assert msg.get("Subject") == "hi Bcc: victim@example.com"
    assert msg.body == b"body\r\nmore\r\n"
