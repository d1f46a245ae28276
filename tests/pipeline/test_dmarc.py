"""DMARC mitigation against a DNS server on loopback."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from app.mail.authors import parse_mailbox
from app.mail.rawmessage import RawMessage
from app.pipeline.dmarc import lookup_policy, policy_for
from app.pipeline.handlers import HANDLERS
from tests.support.factories import make_list, message


def mitigate(mlist, raw: bytes):
    msg = RawMessage.parse(raw)
    HANDLERS["dmarc"](mlist, msg)
    return message_from_bytes(msg.to_bytes(), policy=default)


def mailboxes(header) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def test_policy_lookup_walks_up_to_the_organisational_domain(app, dns_records):
    dns_records.records["_dmarc.strict.example"] = [
        "v=DMARC1; p=reject; sp=quarantine; rua=mailto:x@strict.example"
    ]
    dns_records.records["_dmarc.lax.example"] = ["v=DMARC1; p=none"]
    assert lookup_policy("strict.example") == "reject"
    assert lookup_policy("mail.eu.strict.example") == "quarantine"  # found at a parent: sp= applies
    assert lookup_policy("lax.example") == "none"
    assert lookup_policy("nothing.example") is None
    assert "_dmarc.example" not in dns_records.queries  # never a bare TLD


def test_two_records_mean_no_policy(app, dns_records):
    dns_records.records["_dmarc.twice.example"] = ["v=DMARC1; p=reject", "v=DMARC1; p=none"]
    assert lookup_policy("twice.example") is None


def test_policies_are_cached(app, dns_records):
    dns_records.records["_dmarc.cached.example"] = ["v=DMARC1; p=quarantine"]
    assert policy_for("cached.example") == "quarantine"
    assert policy_for("cached.example") == "quarantine"
    assert dns_records.queries["_dmarc.cached.example"] == 1


def test_auto_rewrites_from_for_reject_and_keeps_the_author(app, dns_records):
    dns_records.records["_dmarc.strict.example"] = ["v=DMARC1; p=reject"]
    mlist = make_list(dmarc_mode="auto")
    copy = mitigate(mlist, message(sender="Alice Author <alice@strict.example>"))
    assert mailboxes(copy["From"]) == [("Alice Author via Team", "team@example.org")]
    assert mailboxes(copy["Reply-To"]) == [("Alice Author", "alice@strict.example")]
    assert copy["X-Original-From"] == '"Alice Author" <alice@strict.example>'


def test_auto_leaves_lax_domains_alone(app, dns_records):
    dns_records.records["_dmarc.lax.example"] = ["v=DMARC1; p=none"]
    mlist = make_list(dmarc_mode="auto")
    assert mitigate(mlist, message(sender="Al <al@lax.example>"))["From"] == "Al <al@lax.example>"
    assert mitigate(mlist, message(sender="No <no@nothing.example>"))["From"] == "No <no@nothing.example>"


def test_dns_failure_rewrites_to_be_safe(app, dns_records):
    dns_records.failing.add("_dmarc.broken.example")
    mlist = make_list(dmarc_mode="auto")
    assert (
        mitigate(mlist, message(sender="b@broken.example"))["From"].addresses[0].addr_spec
        == "team@example.org"
    )


def test_always_and_off(app, dns_records):
    always = make_list(dmarc_mode="always")
    off = make_list("off@example.org", dmarc_mode="off")
    dns_records.records["_dmarc.strict.example"] = ["v=DMARC1; p=reject"]
    assert mailboxes(mitigate(always, message(sender="a@lax.example"))["From"]) == [
        ("a@lax.example via Team", "team@example.org")
    ]
    assert mitigate(off, message(sender="a@strict.example"))["From"] == "a@strict.example"
    assert dns_records.queries["_dmarc.lax.example"] == 0


def test_author_goes_to_cc_when_the_list_says_so_and_existing_reply_to_is_kept(app, dns_records):
    mlist = make_list(dmarc_mode="always", dmarc_author_field="cc")
    copy = mitigate(mlist, message(sender="Ann <ann@example.net>"))
    assert mailboxes(copy["Cc"]) == [("Ann", "ann@example.net")] and copy["Reply-To"] is None
    to_reply = make_list("r@example.org", dmarc_mode="always", reply_to_mode="list")
    raw = message(sender="Ann <ann@example.net>").replace(
        b"Subject:", b"Reply-To: team@example.org\r\nSubject:"
    )
    assert mailboxes(mitigate(to_reply, raw)["Reply-To"]) == [
        ("", "team@example.org"),
        ("Ann", "ann@example.net"),
    ]


def test_unparseable_from_is_rewritten(app, dns_records):
    mlist = make_list(dmarc_mode="auto")
    raw = message().replace(b"From: alice@example.org", b"From: alice@example.org)<mallory@example.com>")
    copy = mitigate(mlist, raw)
    assert mailboxes(copy["From"]) == [
        ("alice@example.org)<mallory@example.com> via Team", "team@example.org")
    ]


def test_hostile_display_name_is_defused_before_it_goes_out(app, dns_records):
    mlist = make_list(dmarc_mode="always")
    raw = message().replace(
        b"From: alice@example.org", b"From: =?utf-8?q?Evil=0ABcc=3A_x=40y=2Ez?= <e@x.example>"
    )
    msg = RawMessage.parse(raw)
    for name in ("dmarc", "validate-headers"):
        HANDLERS[name](mlist, msg)
    copy = message_from_bytes(msg.to_bytes(), policy=default)
    assert mailboxes(copy["From"]) == [("Evil Bcc: x@y.z via Team", "team@example.org")]
    assert mailboxes(copy["Reply-To"]) == [("Evil Bcc: x@y.z", "e@x.example")]
    assert copy["Bcc"] is None


def test_rewrite_from_is_reusable(app):
    from app.pipeline.dmarc import rewrite_from

    mlist = make_list()
    msg = RawMessage.parse(message(sender="Zoë <zoe@example.org>"))
    rewrite_from(mlist, msg, parse_mailbox(msg.get("From")))
    copy = message_from_bytes(msg.to_bytes(), policy=default)
    assert copy["From"].addresses[0].display_name == "Zoë via Team"
