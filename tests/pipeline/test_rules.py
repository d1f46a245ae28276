"""Each moderation rule, called directly on a stored post."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import AllowedSender, Ban, FilterRule, Member, ModerationAction
from app.pipeline.context import Verdict
from app.pipeline.rules import RULES
from tests.pipeline.conftest import ctx, fixture
from tests.support.factories import make_list, make_members, make_user, message


def run(name: str, context) -> tuple[Verdict, str]:
    outcome = RULES[name](context)
    return outcome.verdict, outcome.reason


def test_approved_by_moderator_decision(app):
    mlist = make_list()
    context = ctx(mlist, message())
    assert run("approved", context)[0] == Verdict.CONTINUE
    context.post.moderator_decision = "approve"
    assert run("approved", context) == (Verdict.ACCEPT, "A moderator approved the post.")


def test_approved_header_needs_the_right_password(app):
    mlist = make_list(moderator_password_hash=generate_password_hash("s3cret"))
    right = message().replace(b"Subject:", b"Approved: s3cret\r\nSubject:")
    wrong = message(subject="Other").replace(b"Subject:", b"Approved: guess\r\nSubject:")
    assert run("approved", ctx(mlist, right))[0] == Verdict.ACCEPT
    assert run("approved", ctx(mlist, wrong))[0] == Verdict.CONTINUE


def test_approved_header_is_ignored_without_a_list_password(app):
    mlist = make_list()
    raw = message().replace(b"Subject:", b"Approved: \r\nSubject:")
    assert run("approved", ctx(mlist, raw))[0] == Verdict.CONTINUE


def test_emergency_holds(app):
    mlist = make_list(emergency=True)
    assert run("emergency", ctx(mlist, message())) == (Verdict.HOLD, "The list is in emergency moderation.")
    mlist.emergency = False
    assert run("emergency", ctx(mlist, message(subject="x")))[0] == Verdict.CONTINUE


def test_loop_holds_our_own_marker_and_list_id_only(app):
    mlist = make_list()
    ours = message().replace(b"Subject:", b"X-MailFlow-List: team.example.org\r\nSubject:")
    our_id = message(subject="b").replace(b"Subject:", b"List-Id: Team <team.example.org>\r\nSubject:")
    other = message(subject="c").replace(b"Subject:", b"X-MailFlow-List: other.example.org\r\nSubject:")
    assert run("loop", ctx(mlist, ours))[0] == Verdict.HOLD
    assert run("loop", ctx(mlist, our_id))[0] == Verdict.HOLD
    assert run("loop", ctx(mlist, other))[0] == Verdict.CONTINUE


def test_banned_address_per_list_site_wide_and_regex(app):
    mlist = make_list()
    other = make_list("other@example.org")
    db.session.add_all(
        [
            Ban(list_id=mlist.id, pattern="alice@example.org"),
            Ban(list_id=None, pattern=r"^.*@spam\.example$", kind="regex"),
            Ban(list_id=other.id, pattern="carol@example.org"),
        ]
    )
    db.session.commit()
    assert run("banned-address", ctx(mlist, message()))[0] == Verdict.DISCARD
    spam = message(sender="x@spam.example", subject="s")
    assert run("banned-address", ctx(mlist, spam, "x@spam.example"))[0] == Verdict.DISCARD
    carol = message(sender="carol@example.org", subject="c")
    assert run("banned-address", ctx(mlist, carol, "carol@example.org"))[0] == Verdict.CONTINUE
    # the envelope sender counts too
    assert (
        run(
            "banned-address", ctx(mlist, message(sender="bob@example.org", subject="e"), "ALICE@example.org")
        )[0]
        == Verdict.DISCARD
    )


def test_member_moderation_uses_the_members_own_action(app):
    mlist = make_list()
    make_members(mlist, "alice@example.org")
    member = db.session.query(Member).one()
    for action, verdict in [
        (ModerationAction.DEFER, Verdict.CONTINUE),
        (ModerationAction.ACCEPT, Verdict.ACCEPT),
        (ModerationAction.HOLD, Verdict.HOLD),
        (ModerationAction.REJECT, Verdict.REJECT),
        (ModerationAction.DISCARD, Verdict.DISCARD),
    ]:
        member.moderation_action = action
        db.session.commit()
        assert run("member-moderation", ctx(mlist, message(subject=action)))[0] == verdict, action


def test_nonmember_moderation_follows_the_list_action_and_allow_list(app):
    mlist = make_list(nonmember_action="reject")
    raw = message(sender="stranger@example.net")
    verdict, reason = run("nonmember-moderation", ctx(mlist, raw, "stranger@example.net"))
    assert verdict == Verdict.REJECT and "stranger@example.net is not a member" in reason
    db.session.add(AllowedSender(list_id=mlist.id, pattern=r"^.*@example\.net$", kind="regex"))
    db.session.commit()
    raw = message(sender="stranger@example.net", subject="again")
    assert run("nonmember-moderation", ctx(mlist, raw, "stranger@example.net"))[0] == Verdict.CONTINUE


def test_filter_rules_first_match_decides(app):
    mlist = make_list()
    db.session.add_all(
        [
            FilterRule(
                list_id=mlist.id,
                position=2,
                condition="header",
                header="Subject",
                pattern="viagra",
                action="discard",
            ),
            FilterRule(
                list_id=mlist.id,
                position=1,
                condition="size",
                pattern="100000",
                action="hold",
                reason="Too big for the filter.",
            ),
            FilterRule(
                list_id=mlist.id, position=3, condition="sender", pattern=r"@example\.org$", action="accept"
            ),
        ]
    )
    db.session.commit()
    assert run("filter-rules", ctx(mlist, message(subject="cheap VIAGRA"))) == (
        Verdict.DISCARD,
        "Filter rule 2 (header) matched.",
    )
    big = message(subject="big", body="x" * 120_000)
    assert run("filter-rules", ctx(mlist, big)) == (Verdict.HOLD, "Too big for the filter.")
    assert run("filter-rules", ctx(mlist, message(subject="fine")))[0] == Verdict.ACCEPT


def test_filter_rule_on_mime_type_anywhere(app):
    mlist = make_list()
    db.session.add(
        FilterRule(
            list_id=mlist.id,
            condition="mime_type",
            pattern="application/x-msdownload",
            action="reject",
            reason="No executables, please.",
        )
    )
    db.session.commit()
    assert run("filter-rules", ctx(mlist, fixture("attachment.eml"))) == (
        Verdict.REJECT,
        "No executables, please.",
    )
    assert run("filter-rules", ctx(mlist, fixture("alternative.eml")))[0] == Verdict.CONTINUE


def test_filter_rule_on_upstream_spam_verdict(app):
    mlist = make_list()
    db.session.add(FilterRule(list_id=mlist.id, condition="spam", pattern="", action="hold", reason="Spam?"))
    db.session.commit()
    flagged = message().replace(b"Subject:", b"X-Spam-Flag: YES\r\nSubject:")
    status = message(subject="b").replace(b"Subject:", b"X-Spam-Status: Yes, score=9.1\r\nSubject:")
    failed = message(subject="c").replace(
        b"Subject:", b"Authentication-Results: mx.example.org; spf=pass; dmarc=fail header.from=x\r\nSubject:"
    )
    clean = message(subject="d").replace(
        b"Subject:",
        b"X-Spam-Status: No, score=0.1\r\nAuthentication-Results: mx.example.org; dkim=pass\r\nSubject:",
    )
    for raw in (flagged, status, failed):
        assert run("filter-rules", ctx(mlist, raw)) == (Verdict.HOLD, "Spam?")
    assert run("filter-rules", ctx(mlist, clean))[0] == Verdict.CONTINUE


def test_spam_rule_pattern_names_the_trusted_authserv_id(app):
    mlist = make_list()
    db.session.add(
        FilterRule(list_id=mlist.id, condition="spam", pattern=r"mx\.example\.org", action="discard")
    )
    db.session.commit()
    forged = message().replace(b"Subject:", b"Authentication-Results: evil.example; dmarc=fail\r\nSubject:")
    ours = message(subject="b").replace(
        b"Subject:", b"Authentication-Results: mx.example.org; dmarc=fail\r\nSubject:"
    )
    assert run("filter-rules", ctx(mlist, forged))[0] == Verdict.CONTINUE
    assert run("filter-rules", ctx(mlist, ours))[0] == Verdict.DISCARD


def test_administrivia_holds_commands_sent_to_the_post_address(app):
    mlist = make_list()
    assert run("administrivia", ctx(mlist, message(subject="unsubscribe")))[0] == Verdict.HOLD
    assert run("administrivia", ctx(mlist, message(subject="Hi", body="subscribe\n")))[0] == Verdict.HOLD
    assert (
        run(
            "administrivia",
            ctx(
                mlist,
                message(subject="How do I unsubscribe from the other list?", body="Long question here.\n"),
            ),
        )[0]
        == Verdict.CONTINUE
    )


def test_implicit_destination(app):
    mlist = make_list()
    assert run("implicit-destination", ctx(mlist, message()))[0] == Verdict.CONTINUE
    bcc = message(to="someone@example.net")
    verdict, reason = run("implicit-destination", ctx(mlist, bcc))
    assert verdict == Verdict.HOLD and "neither the To: nor the Cc: field" in reason
    lookalike = message(to="xteam@example.org", subject="x")
    assert run("implicit-destination", ctx(mlist, lookalike))[0] == Verdict.HOLD
    in_cc = message(to="a@example.net", subject="cc").replace(
        b"Subject:", b"Cc: Team <TEAM@example.org>\r\nSubject:"
    )
    assert run("implicit-destination", ctx(mlist, in_cc))[0] == Verdict.CONTINUE


def test_max_recipients(app):
    mlist = make_list(max_recipients=3)
    few = message(to="team@example.org, a@example.net")
    many = message(to="team@example.org, a@example.net, b@example.net", subject="many")
    assert run("max-recipients", ctx(mlist, few))[0] == Verdict.CONTINUE
    assert run("max-recipients", ctx(mlist, many))[0] == Verdict.HOLD


def test_max_size(app):
    mlist = make_list(max_message_size=1000)
    assert run("max-size", ctx(mlist, message()))[0] == Verdict.CONTINUE
    assert run("max-size", ctx(mlist, message(body="x" * 2000, subject="big")))[0] == Verdict.HOLD


def test_no_subject(app):
    mlist = make_list(subject_prefix="[team]")
    assert run("no-subject", ctx(mlist, fixture("no_subject.eml")))[0] == Verdict.HOLD
    assert run("no-subject", ctx(mlist, message(subject="[team] ")))[0] == Verdict.HOLD
    assert run("no-subject", ctx(mlist, message(subject="Real subject")))[0] == Verdict.CONTINUE


def test_suspicious_header(app):
    mlist = make_list(suspicious_headers="# one rule a line\nX-Mailer: ^MassMailer\n")
    bad = message().replace(b"Subject:", b"X-Mailer: massmailer 2.0\r\nSubject:")
    assert run("suspicious-header", ctx(mlist, bad))[0] == Verdict.HOLD
    assert run("suspicious-header", ctx(mlist, message(subject="ok")))[0] == Verdict.CONTINUE


def test_owner_is_privileged_on_an_announce_list(app):
    mlist = make_list(posting_policy="announce")
    make_user("boss@example.org", roles={mlist: "owner"})
    make_members(mlist, "alice@example.org")
    boss = message(sender="Boss <boss@example.org>")
    assert run("nonmember-moderation", ctx(mlist, boss, "boss@example.org"))[0] == Verdict.CONTINUE
    verdict, reason = run("member-moderation", ctx(mlist, message(subject="member")))
    assert verdict == Verdict.HOLD and "announce-only" in reason
