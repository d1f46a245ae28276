"""The post summary's fast path reads exactly what the header registry reads, and nothing it would not."""

from __future__ import annotations

import email.policy
from email.parser import BytesHeaderParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingress.headers import _clean, summary
from tests.support.corpus import corpus_dir


def registry_summary(raw: bytes) -> dict[str, str]:
    """The reference: every field through policy.default's header registry (the code before the fast path)."""
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    except Exception:
        return {"message_id": "", "sender": "", "subject": ""}

    def field(name: str) -> str:
        try:
            return _clean(headers.get(name, ""))
        except Exception:
            return ""

    def author() -> str:
        try:
            value = headers.get("From")
            addresses = getattr(value, "addresses", ()) if value is not None else ()
            return _clean(addresses[0].addr_spec) if len(addresses) == 1 else ""
        except Exception:
            return ""

    return {"message_id": field("Message-ID"), "sender": author(), "subject": field("Subject")}


CORPUS = sorted(
    p
    for name in ("cpython-email", "bounces")
    for p in corpus_dir(name).rglob("*")
    if p.is_file() and p.name != "LICENSE"
)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_messages_read_the_same(path):
    raw = path.read_bytes()
    assert summary(raw) == registry_summary(raw)


TRICKY_FROM = [
    "alice@example.org",
    "Alice <alice@example.org>",
    "  Alice  Example <a.b+c@example.org>  ",
    '"Alice, the second" <alice@example.org>',
    "alice@example.org, bob@example.org",
    "Alice <alice@example.org> (comment)",
    "<alice@example.org>",
    "alice@[127.0.0.1]",
    "=?utf-8?q?J=C3=B6rg?= <jorg@example.org>",
    "Jörg <jorg@example.org>",
    "alice@example.org\r\n folded",
    '"evil@attacker.example" <alice@example.org>',
    "alice@example.org <bob@example.org>",
    "Alice <alice@example.org",
    "a..b@example.org",
    ".a@example.org",
    "Alice <>",
    "",
    "<@a,@b:alice@example.org>",
    "alice(comment)@example.org",
    "Group: alice@example.org, bob@example.org;",
    "alice @ example.org",
    "Alice <alice@example.org>\t",
    "Ali.ce <alice@example.org>",
    "alice@example.org.",
]


@pytest.mark.parametrize("value", TRICKY_FROM)
def test_tricky_from_fields_read_the_same(value):
    raw = f"From: {value}\r\nSubject: s\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n".encode(
        "utf-8", "surrogateescape"
    )
    assert summary(raw) == registry_summary(raw)


TRICKY_TEXT = [
    "plain",
    "=?utf-8?q?caf=C3=A9?=",
    "a\r\n  folded\r\n\tline",
    "  spaced   out  ",
    "café",
    "<a@b> (comment)",
    "<a@b>",
    "<a b@c>",
    "<@>",
    "<a..b@c>",
    "<a@[1.2.3.4]>",
    "<a@b><c@d>",
    "a=?b",
    "tab\there",
    "",
]


@pytest.mark.parametrize("value", TRICKY_TEXT)
def test_tricky_subjects_and_message_ids_read_the_same(value):
    raw = f"Subject: {value}\r\nMessage-ID: {value}\r\nFrom: a@b.example\r\n\r\nbody".encode()
    assert summary(raw) == registry_summary(raw)


def test_eight_bit_and_missing_fields_read_the_same():
    for raw in (
        b"From: J\xf6rg <jorg@example.org>\r\nSubject: caf\xe9\r\n\r\nx",
        b"X-Other: 1\r\n\r\nbody",
        b"",
        b"no colon here\r\n\r\n",
        b"From: a@b.example\r\nFrom: c@d.example\r\n\r\n",
    ):
        assert summary(raw) == registry_summary(raw)


HEADER_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab.@<> \"'(),:;\\=?-+_\t\r\nJö[]"), max_size=40),
    st.text(HEADER_CHARS, max_size=30),
    st.text(alphabet=st.sampled_from("ab.@<> =?-[]\t"), max_size=20),
)
def test_arbitrary_fields_read_the_same(from_value, text, message_id):
    raw = f"From: {from_value}\r\nSubject: {text}\r\nMessage-ID: {message_id}\r\n\r\nbody".encode()
    assert summary(raw) == registry_summary(raw)
