"""No dead ends: earlier confirmation links keep working, 404 and 403 pages say what to do, unsubscribing twice."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Member, MemberStatus
from app.pipeline.personalise import unsubscribe_url
from tests.panel.conftest import Browser
from tests.support.factories import make_list


@pytest.fixture
def settings(settings, sink):
    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


def _status(email: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Member.status).where(Member.email == email))


def test_a_second_subscribe_request_keeps_the_first_mails_link_valid(app, sink):
    _, handler = sink
    make_list("news@example.org", "News", subscription_policy="confirm")
    for _ in range(2):
        visitor = Browser(app.test_client())
        assert visitor.submit("/subscribe/news@example.org", {"email": "pat@example.net"}).status_code == 200
    links = [
        re.search(
            r"https://lists\.example\.org(/confirm/\w+)",
            message_from_bytes(m.data, policy=default).get_content(),
        ).group(1)
        for m in handler.messages
    ]
    assert len(links) == 2
    visitor = Browser(app.test_client())
    assert b"You are subscribed" in visitor.submit(links[0], {}).data  # the first mail's link still works
    assert _status("pat@example.net") == MemberStatus.ACTIVE


def test_a_mangled_member_link_gets_a_page_that_says_what_to_do(app):
    client = app.test_client()
    for path in ("/unsubscribe/abc", "/manage/abc", "/confirm/abc"):
        response = client.get(path)
        body = response.data.decode()
        assert response.status_code == 404 and "This link does not work" in body, path
        assert "check your spelling" not in body and 'href="/static/style.css"' in body
    response = client.get("/subscribe/nosuch@example.org")
    assert response.status_code == 404 and "No list at this address" in response.data.decode()


def test_a_moderator_opening_an_owners_page_is_told_why(world, browser_for):
    browser = browser_for("mod@example.org")
    response = browser.get(f"/lists/{world['a'].id}/members")
    body = response.data.decode()
    assert response.status_code == 403
    assert "You are a moderator of alpha@example.org, not an owner" in body
    assert (
        browser.get(f"/lists/{world['b'].id}/members").status_code == 404
    )  # not theirs at all: nothing said


def test_the_same_unsubscribe_link_again_says_it_is_done_and_offers_the_way_back(app):
    mlist = make_list("news@example.org", "News")
    db.session.add(Member(list_id=mlist.id, email="pat@example.net"))
    db.session.commit()
    member_id = db.session.scalar(select(Member.id).where(Member.email == "pat@example.net"))
    path = unsubscribe_url(member_id).removeprefix("https://lists.example.org")
    client = app.test_client(use_cookies=False)
    done = client.post(path).data.decode()
    assert "You are unsubscribed" in done and 'href="/subscribe/news@example.org"' in done
    again = client.get(path).data.decode()
    assert "This was done already" in again and "Subscribe again" in again
    assert _status("pat@example.net") == MemberStatus.UNSUBSCRIBED
