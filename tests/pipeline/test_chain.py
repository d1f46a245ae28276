"""The moderation loop: every hold reason collected, final outcomes stop the run, the trace recorded."""

from __future__ import annotations

from app.extensions import db
from app.models import Ban, FilterRule, PostStatus
from app.pipeline import chains, runner
from app.pipeline.rules import RULES
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list, make_members, message


def decide(mlist, raw, mail_from="alice@example.org"):
    post = store_post(mlist, raw, mail_from)
    runner.decide(post)
    return post


def test_chain_is_data_in_the_documented_order():
    assert chains.MODERATION == (
        "approved",
        "emergency",
        "loop",
        "banned-address",
        "own-domain-spoof",
        "member-moderation",
        "filter-rules",
        "nonmember-moderation",
        "administrivia",
        "implicit-destination",
        "max-recipients",
        "max-size",
        "no-subject",
        "suspicious-header",
    )
    assert set(chains.MODERATION) == set(RULES)


def test_every_hold_reason_is_collected(app):
    mlist = make_list(emergency=True, max_message_size=500)
    make_members(mlist, "alice@example.org")
    post = decide(mlist, message(to="other@example.net", subject="", body="x" * 600))
    assert post.status == PostStatus.HELD
    assert post.rule_hits == ["emergency", "implicit-destination", "max-size", "no-subject"]
    assert len(post.hold_reasons) == 4
    assert post.decision == "hold" and post.decision_reason == "; ".join(post.hold_reasons)
    assert "approved" in post.rule_misses and "suspicious-header" in post.rule_misses


def test_discard_ends_the_run_even_after_holds(app):
    mlist = make_list(emergency=True)
    db.session.add(Ban(list_id=mlist.id, pattern="alice@example.org"))
    db.session.commit()
    post = decide(mlist, message())
    assert post.status == PostStatus.DISCARDED
    assert post.rule_hits == ["emergency", "banned-address"]
    assert post.rule_misses == ["approved", "loop"]  # nothing after the final outcome ran


def test_accept_ends_the_run_but_collected_holds_still_hold(app):
    mlist = make_list(emergency=True)
    make_members(mlist, "alice@example.org")
    db.session.add(FilterRule(list_id=mlist.id, condition="sender", pattern="alice", action="accept"))
    db.session.commit()
    post = decide(mlist, message())
    assert post.status == PostStatus.HELD
    assert post.rule_hits == ["emergency", "filter-rules"]


def test_member_post_with_nothing_wrong_is_accepted(app):
    mlist = make_list()
    make_members(mlist, "alice@example.org")
    post = decide(mlist, message())
    assert post.status == PostStatus.ACCEPTED
    assert post.rule_hits == [] and post.rule_misses == list(chains.MODERATION)
    assert post.decision_reason == "No rule held the post."


def test_policies_open_members_moderated_announce(app):
    results = {}
    for policy in ("open", "members", "moderated", "announce"):
        mlist = make_list(f"{policy}@example.org", posting_policy=policy)
        make_members(mlist, "alice@example.org")
        member = decide(mlist, message(to=mlist.address, subject=f"m {policy}"))
        stranger = decide(
            mlist,
            message(sender="eve@example.net", to=mlist.address, subject=f"s {policy}"),
            "eve@example.net",
        )
        results[policy] = (member.status, stranger.status)
    assert results == {
        "open": (PostStatus.ACCEPTED, PostStatus.ACCEPTED),
        "members": (PostStatus.ACCEPTED, PostStatus.HELD),
        "moderated": (PostStatus.HELD, PostStatus.HELD),
        "announce": (PostStatus.HELD, PostStatus.HELD),
    }


def test_nonmember_accept_still_runs_the_later_checks(app):
    mlist = make_list(nonmember_action="accept", max_message_size=300)
    post = decide(mlist, message(sender="eve@example.net", body="x" * 400), "eve@example.net")
    assert post.status == PostStatus.HELD and post.rule_hits == ["max-size"]
