"""A members-only archive refuses an anonymous reader and admits a member through a mailed signed link."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.extensions import db
from app.models import Member, MemberStatus
from tests.archive.support import mail, put
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members
from tests.support.web import csrf_token

BASE = "/archive/team@example.org"
LINK = re.compile(rb"https://lists\.example\.org(/archive/team@example\.org/access/[0-9]+\.[A-Za-z0-9_-]+)")


@pytest.fixture
def mailing(settings, sink):
    """An app whose notices go to the SMTP sink."""
    from tests.conftest import FreshContextClient

    controller, handler = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    app = create_app(settings)
    app.test_client_class = FreshContextClient
    with app.app_context():
        truncate_all()
        yield app, handler
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def test_members_only_archive_refuses_strangers_and_admits_a_members_link(mailing):
    app, handler = mailing
    mlist = make_list("team@example.org", "Team", archive_policy="members")
    make_members(mlist, "ann@example.net")
    put(mlist, mail("Members only", "inner circle talk\n", "mo@example.org"))
    client = app.test_client()
    refused = client.get(f"{BASE}/m/mo@example.org")
    assert refused.status_code == 403 and b"inner circle" not in refused.data
    assert b"Mail me a link" in refused.data
    assert client.get(f"{BASE}/search?q=inner").status_code == 403
    assert client.get(f"{BASE}/export.mbox").status_code == 403
    # A stranger and a member get the same answer; only the member gets mail.
    for address in ("stranger@example.com", "ann@example.net"):
        token = csrf_token(client.get(BASE).get_data(as_text=True))
        answer = client.post(f"{BASE}/access", data={"csrf_token": token, "email": address})
        assert answer.status_code == 200 and b"If that address is a member" in answer.data
    [notice] = handler.messages
    assert notice.rcpt_tos == ["ann@example.net"] and b"Auto-Submitted: auto-replied" in notice.data
    path = LINK.search(notice.data.replace(b"=\r\n", b"")).group(1).decode()
    reader = app.test_client()  # a fresh browser: no cookie, just the link
    assert reader.get(path).status_code == 302
    page = reader.get(f"{BASE}/m/mo@example.org")
    assert page.status_code == 200 and b"inner circle talk" in page.data
    assert b"inner circle" in reader.get(f"{BASE}/export.mbox").data
    # Unsubscribed: the same browser is out again, and the link no longer works.
    member = db.session.scalar(db.select(Member).where(Member.email == "ann@example.net"))
    member.status = MemberStatus.UNSUBSCRIBED
    db.session.commit()
    assert reader.get(f"{BASE}/m/mo@example.org").status_code == 403
    assert app.test_client().get(path).status_code == 404


def test_a_forged_or_foreign_link_is_refused(mailing):
    app, _ = mailing
    mlist = make_list("team@example.org", "Team", archive_policy="members")
    other = make_list("other@example.org", "Other", archive_policy="members")
    make_members(other, "ann@example.net")
    member = db.session.scalar(db.select(Member).where(Member.list_id == other.id))
    from app.archive.access import access_link

    foreign = access_link(other, member).replace("other@", "team@").split("lists.example.org")[1]
    client = app.test_client()
    assert client.get(foreign).status_code == 404
    assert client.get(f"{BASE}/access/{member.id}.AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get(BASE).status_code == 403
    assert mlist.id != other.id
