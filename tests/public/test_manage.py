"""/manage: the mailed link, every subscription of an address, changes through the member-settings registry."""

from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import MailingList, Member, MemberStatus
from tests.panel.conftest import Browser
from tests.support.factories import make_list, make_members

PAT = "pat@example.net"
LINK = re.compile(r"https://lists\.example\.org(/manage/[\w./\-]+)")


@pytest.fixture
def settings(settings, sink):
    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


def memberships(email: str = PAT) -> dict[str, Member]:
    db.session.expire_all()
    rows = db.session.scalars(select(Member).where(Member.email == email))
    return {m.mailing_list.address: m for m in rows}


def mails_to(sink, rcpt: str) -> list:
    return [message_from_bytes(m.data, policy=default) for m in sink[1].by_rcpt().get(rcpt, [])]


def request_link(app, email: str):
    return Browser(app.test_client()).submit("/manage", {"email": email})


def mailed_path(sink, rcpt: str = PAT) -> str:
    body = mails_to(sink, rcpt)[-1].get_content()
    return LINK.search(body).group(1)


@pytest.fixture
def two_lists(app):
    news, talk = make_list("news@example.org", "News"), make_list("talk@example.org", "Talk")
    make_list("open@example.org", "Open", subscription_policy="open")
    make_list("closed@example.org", "Closed", subscription_policy="confirm")
    make_members(news, PAT)
    make_members(talk, PAT)
    return news, talk


def test_the_answer_is_the_same_for_members_and_strangers(app, sink, two_lists):
    known, unknown = request_link(app, PAT), request_link(app, "nobody@example.net")
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    (mail,) = mails_to(sink, PAT)
    assert mail["Auto-Submitted"] == "auto-replied"
    body = mail.get_content()
    assert "news@example.org" in body and "talk@example.org" in body
    assert mails_to(sink, "nobody@example.net") == []


def test_the_link_opens_without_a_cookie_and_lists_every_subscription(app, sink, two_lists):
    request_link(app, PAT)
    page = app.test_client(use_cookies=False).get(mailed_path(sink))
    assert page.status_code == 200
    assert b"news@example.org" in page.data and b"talk@example.org" in page.data
    assert b"Join Open" in page.data and b"Closed" not in page.data  # only open lists are offered
    assert app.test_client().get("/manage/not-a-token").status_code == 404


def test_changes_go_through_the_registry_and_a_bad_value_is_a_message(app, sink, two_lists):
    news, talk = two_lists
    request_link(app, PAT)
    path, visitor = mailed_path(sink), Browser(app.test_client())
    ids = {a: m.id for a, m in memberships().items()}
    visitor.submit(
        path,
        {
            "action": "save",
            "member_id": ids[news.address],
            "delivery": "mime_digest",
            "vacation_until": "2031-05-01",
            "name": "Pat",
        },
    )
    member = memberships()[news.address]
    assert (member.delivery_mode, member.vacation_until, member.name) == (
        "mime_digest",
        date(2031, 5, 1),
        "Pat",
    )
    bad = visitor.submit(path, {"action": "save", "member_id": ids[talk.address], "delivery": "weekly"})
    assert bad.status_code == 400 and b"Not saved: delivery" in bad.data
    assert memberships()[talk.address].delivery_mode == "regular"
    bad_date = visitor.submit(
        path, {"action": "save", "member_id": ids[talk.address], "vacation_until": "soon"}
    )
    assert bad_date.status_code == 400 and b"vacation_until" in bad_date.data
    visitor.submit(path, {"action": "leave", "member_id": ids[talk.address]})
    assert memberships()[talk.address].status == MemberStatus.UNSUBSCRIBED
    joined = visitor.submit(path, {"action": "join", "list_id": str(make_list_id("open@example.org"))})
    assert b"You joined the list" in joined.data and memberships()["open@example.org"].status == "active"


def make_list_id(address: str) -> int:
    local, _, domain = address.partition("@")
    return db.session.scalar(
        select(MailingList.id).where(MailingList.local_part == local, MailingList.domain == domain)
    )


def test_another_address_cannot_be_changed_and_no_csrf_means_no_change(app, sink, two_lists):
    news, _ = two_lists
    make_members(news, "other@example.net")
    other = memberships("other@example.net")[news.address]
    request_link(app, PAT)
    path, visitor = mailed_path(sink), Browser(app.test_client())
    refused = visitor.submit(path, {"action": "leave", "member_id": str(other.id)})
    assert refused.status_code == 400 and memberships("other@example.net")[news.address].status == "active"
    closed = visitor.submit(path, {"action": "join", "list_id": str(make_list_id("closed@example.org"))})
    assert closed.status_code == 400 and "closed@example.org" not in memberships()
    no_token = app.test_client().post(path, data={"action": "leave", "member_id": str(other.id)})
    assert no_token.status_code == 400


def test_a_member_disabled_by_bounces_re_enables_from_the_page(app, sink, two_lists):
    news, _ = two_lists
    member = memberships()[news.address]
    member.status, member.disabled_reason, member.bounce_score = MemberStatus.DISABLED, "bounces", 5.0
    db.session.commit()
    request_link(app, PAT)
    path, visitor = mailed_path(sink), Browser(app.test_client())
    assert b"Re-enable delivery" in visitor.get(path).data
    visitor.submit(path, {"action": "reenable", "member_id": str(member.id)})
    member = memberships()[news.address]
    assert (member.status, member.bounce_score) == (MemberStatus.ACTIVE, 0.0)


def test_requests_are_rate_limited_per_address_and_per_client(app, sink, two_lists):
    codes = [request_link(app, PAT).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # three links an hour to one address, whoever asks
    assert len(mails_to(sink, PAT)) == 3
    more = [request_link(app, f"p{i}@example.net").status_code for i in range(3)]
    assert more[-1] == 429  # five POSTs a minute from one client


def test_change_of_address_is_confirmed_at_the_new_address(app, sink, two_lists):
    news, talk = two_lists
    make_members(talk, "new@example.net")  # already on one list: that membership stays
    request_link(app, PAT)
    path, visitor = mailed_path(sink), Browser(app.test_client())
    visitor.submit(path, {"action": "move", "new_email": "New@Example.net"})
    assert set(memberships()) == {news.address, talk.address}  # nothing moved yet
    confirm = mailed_path(sink, "new@example.net")
    assert confirm.startswith("/manage/move/")
    mover = Browser(app.test_client())
    assert b"Move my subscriptions" in mover.get(confirm).data  # a GET (a link scanner) moves nothing
    done = mover.submit(confirm, {})
    assert b"Done" in done.data
    new = memberships("new@example.net")
    assert {a: m.status for a, m in new.items()} == {news.address: "active", talk.address: "active"}
    assert all(m.status == "unsubscribed" for m in memberships().values())
    assert "moved to" in mails_to(sink, PAT)[-1].get_content()
