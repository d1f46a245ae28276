"""Each prepare handler called directly on a RawMessage."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from app.mail.rawmessage import RawMessage
from app.pipeline.handlers import HANDLERS
from tests.pipeline.conftest import fixture
from tests.support.factories import make_list, message


def apply(name: str, mlist, raw: bytes) -> RawMessage:
    msg = RawMessage.parse(raw)
    HANDLERS[name](mlist, msg)
    return msg


def parsed(msg: RawMessage):
    return message_from_bytes(msg.to_bytes(), policy=default)


def test_cleanse_strips_list_fields_our_marker_and_secrets(app):
    mlist = make_list()
    raw = message().replace(
        b"Subject:",
        b"List-Id: <other.example.net>\r\nlist-post: x\r\nApproved: pw\r\n"
        b"X-MailFlow-List: team.example.org\r\nPrecedence: bulk\r\nSubject:",
    )
    msg = apply("cleanse-headers", mlist, raw)
    names = [n for n, _ in msg.fields]
    assert not [n for n in names if n.startswith("list-")]
    assert "approved" not in names and "precedence" not in names
    assert "x-mailflow-list" in names  # other lists' loop markers accumulate (issue 12 item 11)
    assert msg.get("Subject") == "Hello"


def test_message_id_is_kept_or_added(app):
    mlist = make_list()
    assert (
        apply("message-id", mlist, fixture("alternative.eml")).get("Message-ID")
        == "<alternative@example.org>"
    )
    added = apply("message-id", mlist, fixture("no_message_id.eml")).get("Message-ID")
    assert added.startswith("<") and added.endswith("@example.org>")


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Hello", "[team] Hello"),
        ("Re: [team] Hello", "Re: [team] Hello"),
        ("RE: [TEAM] Hello", "RE: [TEAM] Hello"),
        ("", "[team]"),
    ],
)
def test_subject_prefix_without_doubling(app, subject, expected):
    mlist = make_list(subject_prefix="[team]")
    assert str(parsed(apply("subject-prefix", mlist, message(subject=subject)))["Subject"]) == expected


def test_subject_prefix_rfc2047_for_non_ascii(app):
    mlist = make_list(subject_prefix="[Équipe]")
    msg = apply("subject-prefix", mlist, fixture("non_ascii.eml"))
    raw_subject = msg.get("Subject")
    assert raw_subject.isascii() and "=?utf-8?" in raw_subject
    assert str(parsed(msg)["Subject"]) == "[Équipe] Grüße aus Zürich"


@pytest.mark.parametrize(
    "mode, address, expected",
    [
        ("leave", "", "alice-replies@example.org"),
        ("list", "", '"Team" <team@example.org>'),
        ("explicit", "Discuss@Example.org", "discuss@example.org"),
    ],
)
def test_reply_to_modes(app, mode, address, expected):
    mlist = make_list(reply_to_mode=mode, reply_to_address=address)
    raw = message().replace(b"Subject:", b"Reply-To: alice-replies@example.org\r\nSubject:")
    assert apply("reply-to", mlist, raw).get_all("Reply-To") == [expected]


def test_list_headers(app):
    mlist = make_list()
    msg = parsed(apply("list-headers", mlist, message()))
    assert msg["List-Id"] == '"Team" <team.example.org>'
    assert msg["List-Help"] == "<mailto:team-request@example.org?subject=help>"
    assert msg["List-Subscribe"] == (
        "<https://lists.example.org/subscribe/team@example.org>, <mailto:team-join@example.org>"
    )
    assert msg["List-Post"] == "<mailto:team@example.org>"
    assert msg["List-Owner"] == "<mailto:team-owner@example.org>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Precedence"] == "list"
    assert msg["X-MailFlow-List"] == "team.example.org"


def test_announce_list_says_list_post_no(app):
    mlist = make_list(posting_policy="announce")
    assert parsed(apply("list-headers", mlist, message()))["List-Post"] == "NO"


def test_content_filter_strips_listed_types(app):
    mlist = make_list(filter_mime_types="application/x-msdownload\nimage/*")
    msg = parsed(apply("content-filter", mlist, fixture("attachment.eml")))
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/mixed", "text/plain", "application/pdf"]
    assert msg["Message-ID"] == "<attachment@example.org>"


def test_content_filter_drops_the_html_alternative(app):
    mlist = make_list(drop_html_alternative=True)
    msg = parsed(apply("content-filter", mlist, fixture("alternative.eml")))
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/alternative", "text/plain"]
    html_only = parsed(apply("content-filter", mlist, fixture("html_only.eml")))
    assert html_only.get_content_type() == "text/html"  # no plain alternative: the HTML stays


def test_content_filter_leaves_signed_posts_alone(app):
    mlist = make_list(filter_mime_types="application/pkcs7-signature")
    raw = fixture("smime_signed.eml")
    assert apply("content-filter", mlist, raw).to_bytes() == RawMessage.parse(raw).to_bytes()


def test_content_filter_replaces_a_refused_single_part(app):
    mlist = make_list(filter_mime_types="text/html")
    msg = parsed(apply("content-filter", mlist, fixture("html_only.eml")))
    assert msg.get_content_type() == "text/plain" and "removed" in msg.get_content()
