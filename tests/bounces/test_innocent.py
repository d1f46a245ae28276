"""Bounce scoring that never punishes the innocent: delays and automatic replies score nothing, one bounce a
day counts, one warning with a re-enable link, re-enabling by the member, the owner and the CLI."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app import create_app
from app.bounces.scoring import BounceReport, record_bounce
from app.bounces.verp import verp_address
from app.extensions import db
from app.models import Bounce, BounceKind, Member, MemberStatus, Role
from tests.bounces.support import member, sent_post
from tests.bounces.test_dsn_through_receiver import CORPUS, wire
from tests.panel.conftest import Browser, quick_user
from tests.support.db import truncate_all
from tests.support.factories import make_list
from tests.support.stack import drain, receiver

AUTOREPLIES = sorted((CORPUS.parents[1] / "fixtures" / "autoreplies").glob("*.eml"))
DELAYED = ("dsn_05.txt", "dsn_06.txt", "dsn_07.txt", "dsn_08.txt", "dsn_17.txt")


@pytest.fixture
def stack_app(settings, redis_url, sink):
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def _through_receiver(app, port: int, messages: list[tuple[int, bytes]]) -> None:
    """Each message to the VERP address of its delivery, through the real SMTP receiver, then the workers."""
    with receiver(app, port), smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for delivery_id, raw in messages:
            assert client.sendmail("", [verp_address("team-bounces@example.org", delivery_id)], raw) == {}
    drain(app)


def test_auto_replies_and_delay_notices_are_recorded_and_score_nothing(stack_app, smtpd_port):
    assert len(AUTOREPLIES) == 5 and all((CORPUS / name).exists() for name in DELAYED)
    mlist = make_list("team@example.org", "Team")
    files = [*AUTOREPLIES, *(CORPUS / name for name in DELAYED)]
    people = [member(mlist, f"m{i}@example.net") for i in range(len(files))]
    deliveries = sent_post(mlist, people)
    _through_receiver(
        stack_app, smtpd_port, [(d.id, wire(f)) for d, f in zip(deliveries, files, strict=True)]
    )
    bounces = {b.delivery_id: b for b in db.session.scalars(select(Bounce))}
    for delivery, path in zip(deliveries, files, strict=True):
        bounce = bounces[delivery.id]  # recorded, so the owner sees it
        expected = BounceKind.AUTO_REPLY if path.suffix == ".eml" else BounceKind.DELAYED
        assert (bounce.kind, bounce.counted) == (expected, False), path.name
        assert bounce.diagnostic.startswith("not counted: "), path.name
        assert bounce.member_id == delivery.member_id
    assert {m.bounce_score for m in db.session.scalars(select(Member))} == {0.0}


def test_only_one_bounce_a_day_counts(stack_app, smtpd_port):
    mlist = make_list("team@example.org", "Team")
    ann = member(mlist, "ann@example.net")
    deliveries = sent_post(mlist, [ann]) + sent_post(mlist, [ann]) + sent_post(mlist, [ann])
    raw = wire(CORPUS / "postfix_01.txt")  # a hard bounce
    # three different bounces (the receiver stores identical bytes once)
    _through_receiver(
        stack_app, smtpd_port, [(d.id, f"X-Seq: {d.id}\r\n".encode() + raw) for d in deliveries]
    )
    counted = [b.counted for b in db.session.scalars(select(Bounce).order_by(Bounce.id))]
    assert counted == [True, False, False]
    db.session.refresh(ann)
    assert ann.bounce_score == 1.0


def _bounce(target: Member, days_ago: int = 0) -> bool:
    """A hard bounce recorded as if it came days_ago days after the previous one."""
    if target.last_bounce_at is not None:
        target.last_bounce_at -= timedelta(days=1)  # the previous bounce was yesterday
    _, disabled = record_bounce(
        target.list_id, target, None, BounceReport(target.email, BounceKind.HARD, "550")
    )
    db.session.commit()
    return disabled


def test_per_list_thresholds_one_warning_with_a_link_then_the_member_re_enables(stack_app, sink):
    _, handler = sink
    mlist = make_list("team@example.org", "Team")
    mlist.bounce_warning_threshold, mlist.bounce_threshold = 2, 3  # the instance says 3 and 5
    ann = member(mlist, "ann@example.net")
    db.session.commit()
    assert not _bounce(ann) and handler.messages == []
    assert not _bounce(ann)  # score 2: the warning
    drain(stack_app)  # the warning is a job
    assert _bounce(ann)  # score 3: disabled by this list's own threshold
    drain(stack_app)
    notices = [m for m in handler.messages if m.rcpt_tos == ["ann@example.net"]]
    assert len(notices) == 1, "one warning, not one per bounce"
    notice = message_from_bytes(notices[0].data, policy=default)
    text = notice.get_content()
    assert notice["Auto-Submitted"] == "auto-generated" and "bounce score 2" in text
    link = re.search(r"https://lists\.example\.org(/manage/\S+)", text).group(1)
    browser = Browser(stack_app.test_client())
    page = browser.get(link).get_data(as_text=True)
    assert "Re-enable delivery" in page and "bounced" in page
    done = browser.submit(link, {"action": "reenable", "member_id": str(ann.id)})
    assert "Delivery is back on" in done.get_data(as_text=True)
    db.session.refresh(ann)
    assert (ann.status, ann.bounce_score, ann.bounce_warned_at) == (MemberStatus.ACTIVE, 0.0, None)


def test_a_member_disabled_by_an_owner_cannot_re_enable_itself(stack_app):
    mlist = make_list("team@example.org", "Team")
    ann = member(mlist, "ann@example.net")
    ann.status, ann.disabled_reason = MemberStatus.DISABLED, "asked by the owner"
    db.session.commit()
    from app.mail.tokens import manage_url

    link = manage_url(ann.id).removeprefix("https://lists.example.org")
    browser = Browser(stack_app.test_client())
    assert "Re-enable delivery" not in browser.get(link).get_data(as_text=True)
    forged = browser.submit(link, {"action": "reenable", "member_id": str(ann.id)})  # a forged button press
    assert forged.status_code == 400 and "not stopped for bounces" in forged.get_data(as_text=True)
    db.session.refresh(ann)
    assert ann.status == MemberStatus.DISABLED


def test_the_owner_re_enables_from_the_panel_and_the_cli(stack_app):
    mlist = make_list("team@example.org", "Team")
    ann, bob = member(mlist, "ann@example.net"), member(mlist, "bob@example.net")
    for target in (ann, bob):
        target.status, target.disabled_reason, target.bounce_score = MemberStatus.DISABLED, "bounces", 5.0
    db.session.commit()
    quick_user("owner@example.org", roles={mlist: Role.OWNER})
    browser = Browser(stack_app.test_client())
    browser.login("owner@example.org")
    page = f"/lists/{mlist.id}/members/{ann.id}"
    assert "Re-enable" in browser.get(page).get_data(as_text=True)
    browser.submit(page, action=f"{page}/reenable")
    from app.commands.members import members

    result = stack_app.test_cli_runner().invoke(members, ["enable", "team@example.org", "bob@example.net"])
    assert result.exit_code == 0, result.output
    again = stack_app.test_cli_runner().invoke(members, ["enable", "team@example.org", "bob@example.net"])
    assert again.exit_code == 1 and "bob@example.net is active" in again.output
    for target in (ann, bob):
        db.session.refresh(target)
        assert (target.status, target.bounce_score) == (MemberStatus.ACTIVE, 0.0)
