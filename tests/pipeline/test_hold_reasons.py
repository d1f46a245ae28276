"""Every reason a rule gives (held, rejected, discarded, accepted) reads as a sentence a moderator can act on."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Ban, FilterRule, Member, ModerationAction
from app.pipeline.context import Verdict
from app.pipeline.rules import RULES
from tests.pipeline.conftest import ctx, fixture
from tests.support.factories import make_list, make_members, message

SENTENCE = re.compile(r"[A-Z][^\n]*[a-z0-9)'\"]\.")  # a capital first, one full stop last, one line
# Grammar slips a template makes when a value is missing or is itself a phrase.
SLIPS = re.compile(r"\b(\w+) \1\b|\bNone\b|\{|\}|\bThe sender an\b|\.\.|\s[,.;:]", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _trust_our_mta(settings):
    """Our MTA's Authentication-Results are trusted, so the own-domain-spoof rule can hold."""
    settings["AUTHSERV_IDS"] = "mx.example.org"


def _reasons(app) -> dict[str, list[str]]:
    """Each rule's non-CONTINUE reasons, under the settings that trigger it."""
    mlist = make_list(
        emergency=True,
        max_recipients=2,
        max_message_size=500,
        subject_prefix="[team]",
        suspicious_headers="X-Mailer: ^MassMailer\n",
        nonmember_action="hold",
        posting_policy="moderated",
    )
    make_members(mlist, "alice@example.org")
    db.session.add(Ban(list_id=mlist.id, pattern="mallory@example.net"))
    db.session.add(
        FilterRule(
            list_id=mlist.id,
            position=1,
            condition="header",
            header="Subject",
            pattern="viagra",
            action="discard",
        )
    )
    db.session.commit()
    member = db.session.query(Member).one()
    marked = message(subject="a").replace(b"Subject:", b"X-MailFlow-List: team.example.org\r\nSubject:")
    reasons: dict[str, list[str]] = {name: [] for name in RULES}

    def note(name: str, raw: bytes, mail_from: str = "alice@example.org") -> None:
        outcome = RULES[name](ctx(mlist, raw, mail_from))
        assert outcome.verdict != Verdict.CONTINUE, name
        reasons[name].append(outcome.reason)

    counter = iter(range(1000))

    def fresh(**kwargs) -> bytes:
        return message(**{"subject": f"subject {next(counter)}", **kwargs})

    approved = ctx(mlist, fresh())
    approved.post.moderator_decision = "approve"
    reasons["approved"].append(RULES["approved"](approved).reason)
    note("emergency", fresh())
    note("loop", marked)
    note("banned-address", fresh(sender="mallory@example.net"), "mallory@example.net")
    for action in (
        ModerationAction.ACCEPT,
        ModerationAction.HOLD,
        ModerationAction.REJECT,
        ModerationAction.DISCARD,
    ):
        member.moderation_action = action
        db.session.commit()
        note("member-moderation", fresh())
    member.moderation_action = ModerationAction.DEFER
    db.session.commit()
    note("member-moderation", fresh())  # the moderated list's own hold
    note("filter-rules", fresh(subject="cheap viagra"))
    note("nonmember-moderation", fresh(sender="stranger@example.net"), "stranger@example.net")
    note("nonmember-moderation", fresh(sender="undisclosed-recipients:;"), "")
    note("administrivia", fresh(subject="unsubscribe"))
    note("implicit-destination", fresh(to="someone@example.net"))
    note("max-recipients", fresh(to="team@example.org, a@example.net, b@example.net"))
    note("max-size", fresh(body="x" * 2000))
    note("no-subject", fixture("no_subject.eml"))
    spoof = b"Authentication-Results: mx.example.org; dmarc=fail header.from=example.org\r\nSubject:"
    note("own-domain-spoof", fresh(sender="boss@example.org").replace(b"Subject:", spoof), "boss@example.org")
    note("suspicious-header", fresh().replace(b"Subject:", b"X-Mailer: massmailer 2.0\r\nSubject:"))
    mlist.moderator_password_hash = ""
    db.session.commit()
    return reasons


def test_every_rule_gives_its_reasons_as_sentences(app):
    reasons = _reasons(app)
    missing = [name for name, found in reasons.items() if not found]
    assert not missing, f"rules without a reason checked here: {missing}"
    for name, found in reasons.items():
        for reason in found:
            assert SENTENCE.fullmatch(reason), f"{name}: {reason!r} is not one sentence"
            assert not SLIPS.search(reason), f"{name}: {reason!r}"


@pytest.mark.parametrize("sender", ["", "stranger@example.net"])
def test_the_nonmember_reason_never_puts_a_phrase_where_an_address_goes(app, sender):
    mlist = make_list(nonmember_action="hold")
    outcome = RULES["nonmember-moderation"](
        ctx(mlist, message(sender=sender or "undisclosed-recipients:;"), sender)
    )
    assert outcome.verdict == Verdict.HOLD
    if sender:
        assert outcome.reason == "The sender stranger@example.net is not a member of the list."
    else:
        assert outcome.reason.startswith("The post has no single valid From: address")
