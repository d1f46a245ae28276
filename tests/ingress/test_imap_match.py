"""Which lists a mailbox message is for, read from its headers."""

from __future__ import annotations

from app.ingress.imap_match import list_recipients, return_path
from app.mail import list_addresses
from app.mail.list_addresses import AddressRole
from tests.support.factories import make_list


def raw(headers: str, body: str = "hi\r\n") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode()


def test_envelope_headers_win_over_to_and_cc(app):
    make_list("team@example.org")
    make_list("dev@example.org")
    message = raw("""
Delivered-To: lists@example.org
X-Original-To: Dev@Example.org
To: team@example.org, dev@example.org
""")
    # Delivered-To names the mailbox, not a list; X-Original-To names one list: only that one counts.
    assert list_recipients(message) == ["Dev@Example.org"]


def test_the_topmost_envelope_header_naming_a_list_wins(app):
    make_list("team@example.org")
    make_list("dev@example.org")
    message = raw("Delivered-To: team@example.org\nDelivered-To: dev@example.org\nTo: x@example.net")
    assert list_recipients(message) == ["team@example.org"]


def test_envelope_to_may_name_several(app):
    make_list("team@example.org")
    make_list("dev@example.org")
    assert list_recipients(raw("Envelope-To: team@example.org, dev@example.org")) == [
        "team@example.org",
        "dev@example.org",
    ]


def test_to_and_cc_when_no_envelope_header_names_a_list(app):
    make_list("team@example.org")
    make_list("dev@example.org")
    message = raw('To: "Team" <team@example.org>, someone@example.net\nCc: dev@example.org, team@example.org')
    assert list_recipients(message) == ["team@example.org", "dev@example.org"]


def test_role_addresses_and_strangers(app, monkeypatch):
    make_list("team@example.org")
    monkeypatch.setattr(list_addresses, "HANDLED_ROLES", {AddressRole.POST, AddressRole.REQUEST})
    assert list_recipients(raw("To: team-request@example.org")) == ["team-request@example.org"]
    # A role nobody processes yet is no list address here either (as SMTP answers 550): it goes to unmatched.
    assert list_recipients(raw("To: team-bounces@example.org")) == []
    assert list_recipients(raw("To: nobody@example.org")) == []
    assert list_recipients(b"\x00\xff not a message at all") == []


def test_return_path_is_the_envelope_sender(app):
    assert return_path(raw("Return-Path: <alice@example.org>\nTo: x@y")) == "alice@example.org"
    assert return_path(raw("Return-Path: <>\nTo: x@y")) == ""
    assert return_path(raw("To: x@y")) == ""
