"""Bounce scores: hard +1, soft +0.5, disable at the threshold, tell owners, reset, complaints, DMARC."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.bounces.scoring import BounceReport, is_dmarc_rejection, record_bounce, reset_quiet_scores, score
from app.bounces.verp import delivery_from_token, token_for, verp_address
from app.extensions import db
from app.models import BounceKind, Member, MemberStatus, Role
from app.models.timestamps import utcnow
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, make_user


@pytest.fixture
def smtp_app(settings, sink):
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port), BOUNCE_THRESHOLD="3")
    settings["BOUNCE_WARNING_THRESHOLD"] = "0"  # the member's notice has tests of its own
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def _member(address: str = "ann@example.net") -> Member:
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, address)
    return db.session.scalar(select(Member).where(Member.email == address))


def test_hard_and_soft_points_disable_at_the_threshold_and_owners_hear(smtp_app, sink):
    _, handler = sink
    ann = _member()
    make_user("owner@example.org", roles={ann.mailing_list: Role.OWNER})
    make_user("mod@example.org", roles={ann.mailing_list: Role.MODERATOR})
    for kind in (BounceKind.SOFT, BounceKind.HARD, BounceKind.SOFT):
        _, disabled = record_bounce(ann.list_id, ann, None, BounceReport(ann.email, kind, "550 5.1.1"))
        assert not disabled
        ann.last_bounce_at -= timedelta(days=1)  # one bounce a day counts: each of these on its own day
    assert ann.bounce_score == 2.0 and ann.status == MemberStatus.ACTIVE
    from app.bounces.scoring import tell_owners_disabled

    _, disabled = record_bounce(ann.list_id, ann, None, BounceReport(ann.email, BounceKind.HARD, "550 5.1.1"))
    db.session.commit()
    assert disabled and (ann.status, ann.disabled_reason, ann.bounce_score) == ("disabled", "bounces", 3.0)
    assert tell_owners_disabled(ann) == 1
    [notice] = handler.messages
    assert notice.rcpt_tos == ["owner@example.org"]
    assert b"ann@example.net" in notice.data and b"Auto-Submitted: auto-generated" in notice.data


def test_score_resets_after_a_quiet_period(smtp_app):
    ann = _member()
    long_ago = utcnow() - timedelta(days=8)
    score(ann, BounceKind.HARD, True, now=long_ago - timedelta(days=1))
    score(ann, BounceKind.HARD, True, now=long_ago)
    assert ann.bounce_score == 2.0
    score(ann, BounceKind.SOFT, True)  # the first bounce after a quiet week starts from zero
    assert ann.bounce_score == 0.5
    ann.last_bounce_at = long_ago
    db.session.commit()
    assert reset_quiet_scores() == 1
    db.session.refresh(ann)
    assert ann.bounce_score == 0.0


def test_complaint_unsubscribes_at_once_and_dmarc_never_counts(smtp_app):
    ann = _member()
    dmarc = "550 5.7.509 Access denied, sending domain example.org does not pass DMARC verification"
    bounce, _ = record_bounce(ann.list_id, ann, None, BounceReport(ann.email, BounceKind.HARD, dmarc))
    assert bounce.counted is False and ann.bounce_score == 0.0
    record_bounce(ann.list_id, ann, None, BounceReport(ann.email, BounceKind.COMPLAINT, "abuse"))
    assert (ann.status, ann.disabled_reason) == (MemberStatus.UNSUBSCRIBED, "complaint")
    assert is_dmarc_rejection(
        "5.7.1 Unauthenticated email from x is not accepted due to domain's DMARC policy"
    )
    assert not is_dmarc_rejection("550 5.1.1 user unknown")
    assert not is_dmarc_rejection("550 5.7.1 relaying denied")


def test_members_export_shows_status_reason_and_score(smtp_app):
    ann = _member()
    make_members(ann.mailing_list, "=cmd@example.net")
    ann.bounce_score, ann.status, ann.disabled_reason = 5.5, MemberStatus.DISABLED, "bounces"
    db.session.commit()
    from app.commands.members import members

    result = smtp_app.test_cli_runner().invoke(members, ["export", "team@example.org"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows == [
        ["email", "name", "status", "delivery", "moderation", "bounce_score", "reason"],
        ["'=cmd@example.net", "", "active", "on", "default", "0", ""],
        ["ann@example.net", "", "disabled", "on", "default", "5.5", "bounces"],
    ]
    missing = smtp_app.test_cli_runner().invoke(members, ["export", "nope@example.org"])
    assert missing.exit_code != 0 and "no list" in missing.output


def test_verp_tokens_are_short_signed_and_lower_case(smtp_app):
    token = token_for(123456)
    assert token == token.lower() and len(token) <= 16
    assert delivery_from_token(token) == 123456
    assert delivery_from_token(token.upper()) == 123456  # receivers may change case
    assert delivery_from_token(token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert delivery_from_token("2n9cy" + token[token.index("x") :]) is None  # another id under the same MAC
    assert delivery_from_token("garbage") is None
    assert verp_address("team-bounces@example.org", 5) == f"team-bounces+{token_for(5)}@example.org"
