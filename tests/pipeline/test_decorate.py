"""Per-recipient header/footer: MIME-aware, spliced into the prepared bytes, never crashing at delivery."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest

from app.extensions import db
from app.mail.rawmessage import RawMessage
from app.models import Member
from tests.pipeline.conftest import copy_for, fixture, prepared_post
from tests.support.factories import make_list, make_members

FOOTER = "-- \nYou get this from {{ list_name }} as {{ member_email }}.\nLeave: {{ unsubscribe_url }}"
HEADER = "Hello {{ member_name or member_email }}"


@pytest.fixture
def decorated(app):
    mlist = make_list(header_template=HEADER, footer_template=FOOTER, dmarc_mode="off")
    make_members(mlist, "bob@example.net")
    member = db.session.query(Member).one()
    member.name = "Bob <b> & Co"
    db.session.commit()
    return mlist, member


def text_parts(msg):
    return [p for p in msg.walk() if p.get_content_maintype() == "text"]


def content(part) -> str:
    return part.get_content().replace("\r\n", "\n")


def test_plain_text_gets_header_and_footer_and_keeps_its_body(decorated):
    mlist, member = decorated
    post = prepared_post(mlist, fixture("no_message_id.eml"))
    body = content(copy_for(post, member))
    assert body.startswith("Hello Bob <b> & Co\n\nA post without a Message-ID header.\n")
    assert re.search(
        r"\n-- \nYou get this from Team as bob@example.net\.\n"
        r"Leave: https://lists\.example\.org/unsubscribe/\S+\n$",
        body,
    )


def test_each_member_gets_their_own_links(decorated):
    mlist, member = decorated
    make_members(mlist, "cyd@example.net")
    other = db.session.query(Member).filter_by(email="cyd@example.net").one()
    post = prepared_post(mlist, fixture("no_subject.eml"))
    first, second = content(copy_for(post, member)), content(copy_for(post, other))
    assert "bob@example.net" in first and "cyd@example.net" in second
    link = re.compile(r"/unsubscribe/(\S+)")
    assert link.search(first)[1] != link.search(second)[1]


def test_both_parts_of_an_alternative_are_decorated_and_html_is_escaped(decorated):
    mlist, member = decorated
    copy = copy_for(prepared_post(mlist, fixture("alternative.eml")), member)
    plain, html = text_parts(copy)
    assert "Hello Bob <b> & Co" in content(plain) and "You get this from Team" in content(plain)
    html_text = content(html)
    assert "Hello Bob &lt;b&gt; &amp; Co" in html_text and "<b> &" not in html_text
    assert html_text.index("You get this from Team") < html_text.index("</body>")
    assert html_text.index("<body>") < html_text.index("Hello Bob")
    assert '<a href="https://lists.example.org/unsubscribe/' in html_text


def test_charset_is_kept_and_unencodable_text_replaced(decorated):
    mlist, member = decorated
    member.name = "Zoë 日本"
    db.session.commit()
    copy = copy_for(prepared_post(mlist, fixture("html_only.eml")), member)
    assert copy.get_content_charset() == "iso-8859-1"
    html_text = content(copy)
    assert "Café crème" in html_text and "Hello Zoë &#26085;&#26412;" in html_text
    plain = copy_for(prepared_post(mlist, fixture("base64_latin1.eml")), member)
    assert (
        plain.get_content_charset() == "iso-8859-1"
        and plain["Content-Transfer-Encoding"] == "quoted-printable"
    )
    assert content(plain).startswith("Hello Zoë ??\n\nCafé crème\nSecond line\n")


def test_us_ascii_becomes_utf8_so_names_survive(decorated):
    mlist, member = decorated
    member.name = "Zoë"
    db.session.commit()
    copy = copy_for(prepared_post(mlist, fixture("no_subject.eml")), member)
    assert copy.get_content_charset() == "utf-8" and content(copy).startswith("Hello Zoë\n")


def test_8bit_part_is_spliced_without_re_encoding(decorated):
    mlist, member = decorated
    post = prepared_post(mlist, fixture("non_ascii.eml"))
    copy = copy_for(post, member)
    assert copy["Content-Transfer-Encoding"] == "8bit"
    assert "Grüße aus Zürich — ça va? 日本語のテキスト。" in content(copy)
    assert "Grüße aus Zürich".encode() in post.prepared


def test_format_flowed_is_respected(decorated):
    mlist, member = decorated
    mlist.footer_template = "From the list:  \n>not a quote\nbye"
    db.session.commit()
    copy = copy_for(prepared_post(mlist, fixture("flowed.eml")), member)
    assert copy.get_param("format") == "flowed"
    lines = content(copy).split("\n")
    tail = lines[lines.index("last line with a soft break ") :]
    # a blank (hard) line separates the footer; footer lines are hard breaks and space-stuffed
    assert tail[:5] == ["last line with a soft break ", "", " From the list:", " >not a quote", "bye"]
    assert "This paragraph is long enough that the sender wrapped it, and it flows " in lines


@pytest.mark.parametrize("name", ["smime_signed.eml", "pgp_signed.eml", "pgp_encrypted.eml"])
def test_signed_posts_are_wrapped_with_the_signed_part_untouched(decorated, name):
    mlist, member = decorated
    raw = fixture(name)
    original_body = RawMessage.parse(raw).body
    copy = copy_for(prepared_post(mlist, raw), member)
    assert copy.get_content_type() == "multipart/mixed"
    header, signed, footer = copy.get_payload()
    assert content(header) == "Hello Bob <b> & Co"
    assert signed.get_content_type() in ("multipart/signed", "multipart/encrypted")
    assert (
        signed.as_bytes().split(b"\n\n", 1)[1].replace(b"\r\n", b"\n").rstrip()
        == original_body.replace(b"\r\n", b"\n").rstrip()
    )
    assert "You get this from Team" in content(footer)


def test_attachments_stay_and_the_first_text_part_is_decorated(decorated):
    mlist, member = decorated
    copy = copy_for(prepared_post(mlist, fixture("attachment.eml")), member)
    types = [p.get_content_type() for p in copy.walk()]
    assert types == ["multipart/mixed", "text/plain", "application/pdf", "application/x-msdownload"]
    text = content(text_parts(copy)[0])
    assert text.startswith("Hello Bob") and "Here is the report.\nSee the attachment.\n" in text
    pdf = next(p for p in copy.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_content().startswith(b"%PDF-1.4")


def test_broken_mime_is_wrapped_not_crashed(decorated):
    mlist, member = decorated
    copy = copy_for(prepared_post(mlist, fixture("broken_mime.eml")), member)
    assert copy.get_content_type() == "multipart/mixed"
    assert content(copy.get_payload()[-1]).startswith("-- \nYou get this from Team")


def test_no_templates_means_no_layout_and_identical_bytes(app):
    mlist = make_list(dmarc_mode="off")
    post = prepared_post(mlist, fixture("alternative.eml"))
    assert post.prepared_layout is None


def test_a_template_failing_at_delivery_leaves_the_decoration_out(decorated):
    mlist, member = decorated
    mlist.footer_template = "{{ member_email.__class__.__mro__ }} {{ 1 // 0 }}"
    db.session.commit()
    copy = copy_for(prepared_post(mlist, fixture("no_subject.eml")), member)
    assert content(copy).rstrip().endswith("A post without a Subject header.")


def test_sandbox_refuses_unsafe_attributes(decorated):
    from app.mail.templates import render

    assert render("{{ ''.__class__.__mro__ }}", {}) == ""
    assert render("{{ x.append(1) }}{{ x }}", {"x": []}) == ""  # immutable sandbox: no mutation


def test_copy_headers_are_parsed_back_once(decorated):
    mlist, member = decorated
    copy = copy_for(prepared_post(mlist, fixture("alternative.eml")), member)
    assert len(copy.get_all("List-Unsubscribe")) == 1
    assert copy["Message-ID"] == "<alternative@example.org>"
    assert copy["In-Reply-To"] == "<earlier@example.org>"
    assert copy["References"] == "<first@example.org> <earlier@example.org>"
    assert message_from_bytes(copy.as_bytes(), policy=default).defects == []
