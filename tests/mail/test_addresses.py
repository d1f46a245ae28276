"""Member addresses: the plain-ASCII fast path accepts exactly what email-validator accepts, with the same result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.mail.addresses import InvalidAddress, is_plain, normalise_address, validated_address

TRICKY = [
    "John.Smith@Example.COM",
    "a+tag@example.com",
    "o'brien@example.ie",
    "#!$%&'*+-/=?^_`{}|~@example.org",
    "Info@Example.com",
    "POSTMASTER@example.com",
    "a@b.c",
    "a@b.co",
    "a@123.com",
    "a@example.123",
    "a@example.c0m",
    "user@localhost",
    "user@example.local",
    "x@foo.test",
    "x@sub.invalid",
    "x@in-addr.arpa",
    "x@home.ARPA",
    "x@exit.onion",
    "x@LOCALHOST.",
    "x@notarpa.com",
    "x@test.com",
    "x@xn--bcher-kva.example",
    "x@xn--zz.example",
    "x@ab--cd.com",
    "x@a--b.com",
    "x@xn--bcher-kva.XN--P1AI",
    ".a@example.com",
    "a.@example.com",
    "a..b@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example..com",
    "a@example.com.",
    "a@.example.com",
    "@example.com",
    "a@",
    "a",
    "a@@example.com",
    "a@b@example.com",
    '"quoted"@example.com',
    '"a b"@example.com',
    "a b@example.com",
    "Name <a@example.com>",
    "<a@example.com>",
    "a@[192.0.2.1]",
    "a@example.com\u200b",
    "a\u0301@example.com",
    "\u0301a@example.com",
    "ünïcode@example.com",
    "a@bücher.de",
    "a@BÜCHER.de",
    "a\uff20example.com",
    "a@example\uff0ecom",
    "a@exa_mple.com",
    "a@exa mple.com",
    "a\t@example.com",
    "a@example.com\n",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "a" * 241 + "@example.com",
    "a" * 242 + "@example.com",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 4) + ".com",
    "a@example." + "c" * 63,
    "a@example." + "c" * 64,
    "a@e.x" + "c" * 62,
    "ab@x.y-z.com",
    "a@x.-y.com",
]


def full(text: str) -> str:
    """What the full validator alone says: the address, or its error message."""
    try:
        return validated_address(text.strip())
    except InvalidAddress as exc:
        return f"invalid: {exc}"


def ours(text: str) -> str:
    try:
        return normalise_address(text)
    except InvalidAddress as exc:
        return f"invalid: {exc}"


@pytest.mark.parametrize("text", TRICKY)
def test_fast_path_agrees_with_the_full_validator(text):
    assert ours(text) == full(text)
    if is_plain(text.strip()):
        assert full(text) == text.strip().lower()


def test_the_usual_addresses_take_the_fast_path():
    assert (
        is_plain("John.Smith@Example.COM")
        and is_plain("a+tag@mail.example.co.uk")
        and is_plain("x@notarpa.com")
    )
    for unusual in ("a@xn--bcher-kva.example", "user@localhost", "x@home.arpa", "ünï@example.com", "a@b.c"):
        assert not is_plain(unusual)


def test_normalise_address_lower_cases_and_rejects():
    assert normalise_address("  Ann.Example@EXAMPLE.net ") == "ann.example@example.net"
    assert normalise_address("a@BÜCHER.de") == "a@xn--bcher-kva.de"
    for bad in ("", "   ", "not an address", "x@@y", "a@example", "user@localhost"):
        with pytest.raises(InvalidAddress):
            normalise_address(bad)


ATOMS = st.text(alphabet="aZ09.-_+'\"@<> ()[]\\,;:!#~\u00fc\u0301\uff0e", min_size=0, max_size=12)
LABELS = st.sampled_from(
    [
        "com",
        "example",
        "xn--bcher-kva",
        "ab--c",
        "arpa",
        "local",
        "test",
        "1",
        "c0m",
        "-a",
        "a-",
        "B\u00dcCHER",
        "x" * 63,
        "y" * 64,
        "",
    ]
)


@settings(max_examples=600, deadline=None)
@given(
    local=ATOMS,
    labels=st.lists(LABELS | ATOMS, min_size=0, max_size=4),
    junk=st.sampled_from(["", " ", "\n", "\u200b"]),
)
def test_fast_path_agrees_on_generated_addresses(local, labels, junk):
    text = junk + local + "@" + ".".join(labels) + junk
    assert ours(text) == full(text)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,70}@[A-Za-z0-9.-]{1,80}\.[A-Za-z]{1,4}", fullmatch=True)
)
def test_fast_path_agrees_on_ascii_look_alikes(text):
    assert ours(text) == full(text)
