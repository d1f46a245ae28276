"""A list's active staff: one query, so a deactivated owner neither bypasses moderation nor gets notices."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.bounces.scoring import tell_owners_disabled
from app.extensions import db
from app.mailcommands.owner import owner_addresses
from app.models import Member, MemberStatus, PostStatus, Role, User
from app.pipeline.dispositions import notify_moderators
from app.pipeline.runner import decide
from tests.pipeline.conftest import store_post
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members, make_user, message


@pytest.fixture
def smtp_app(settings, sink):
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


@pytest.fixture
def staffed(smtp_app):
    """A moderated list with an active owner, an active moderator and a deactivated owner."""
    mlist = make_list("team@example.org", posting_policy="moderated")
    make_user("owner@example.org", roles={mlist: Role.OWNER})
    make_user("mod@example.org", roles={mlist: Role.MODERATOR})
    gone = make_user("gone@example.org", roles={mlist: Role.OWNER})
    gone.active = False
    db.session.commit()
    return mlist


def _post_from(mlist, sender: str):
    post = store_post(mlist, message(sender=sender), sender)
    decide(post)
    return post


def test_a_deactivated_owner_no_longer_bypasses_moderation(staffed):
    assert _post_from(staffed, "owner@example.org").status == PostStatus.ACCEPTED
    assert _post_from(staffed, "Mod@Example.org").status == PostStatus.ACCEPTED
    assert _post_from(staffed, "gone@example.org").status == PostStatus.HELD


def test_a_deactivated_owner_gets_no_bounce_or_held_notice(staffed, sink):
    _, handler = sink
    make_members(staffed, "ann@example.net")
    ann = db.session.scalar(select(Member))
    ann.status, ann.disabled_reason = MemberStatus.DISABLED, "bounces"
    db.session.commit()
    assert tell_owners_disabled(ann) == 1
    held = _post_from(staffed, "eve@example.net")
    assert held.status == PostStatus.HELD and notify_moderators(held) == 2
    recipients = sorted(r for m in handler.messages for r in m.rcpt_tos)
    assert recipients == ["mod@example.org", "owner@example.org", "owner@example.org"]


def test_mail_to_list_owner_goes_to_active_owners_else_active_admins(staffed):
    assert owner_addresses(staffed) == ["owner@example.org"]
    db.session.scalar(select(User).where(User.email == "owner@example.org")).active = False
    make_user("root@example.org", admin=True)
    make_user("former-root@example.org", admin=True).active = False
    db.session.commit()
    assert owner_addresses(staffed) == ["root@example.org"]
