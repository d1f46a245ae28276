"""Public pages: subscribe by policy with double opt-in mail, honeypot and rate limit; confirm; manage; RFC 8058."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.tokens import manage_url
from app.models import Member, MemberStatus
from app.pipeline.personalise import unsubscribe_url
from tests.panel.conftest import Browser
from tests.support.factories import make_list


@pytest.fixture
def settings(settings, sink):
    controller, _ = sink
    settings.update(EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port))
    return settings


def _member(email: str) -> Member | None:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.email == email))


def _subscribe(app, address: str, email: str, **extra):
    visitor = Browser(app.test_client())
    return visitor.submit(f"/subscribe/{address}", {"email": email, "name": "Pat", **extra})


def test_confirm_policy_mails_a_link_that_a_get_does_not_use_up(app, sink):
    _, handler = sink
    make_list("news@example.org", "News", subscription_policy="confirm")
    response = _subscribe(app, "news@example.org", "Pat@Example.NET")
    assert response.status_code == 200 and b"Check your mail" in response.data
    assert _member("pat@example.net").status == MemberStatus.PENDING
    (mail,) = handler.messages
    parsed = message_from_bytes(mail.data, policy=default)
    assert mail.rcpt_tos == ["pat@example.net"] and parsed["Auto-Submitted"] == "auto-replied"
    link = re.search(r"https://lists\.example\.org(/confirm/\w+)", parsed.get_content()).group(1)
    assert parsed["Reply-To"].startswith("news-confirm+")
    visitor = Browser(app.test_client())
    page = visitor.get(link)
    assert page.status_code == 200 and b"Confirm" in page.data
    assert _member("pat@example.net").status == MemberStatus.PENDING  # a link scanner's GET changes nothing
    done = visitor.submit(link, {})
    assert b"You are subscribed" in done.data
    assert _member("pat@example.net").status == MemberStatus.ACTIVE
    assert visitor.get(link).status_code == 404  # used up


@pytest.mark.parametrize(
    "policy, status, says",
    [
        ("open", MemberStatus.ACTIVE, b"You are subscribed"),
        ("moderate", MemberStatus.PENDING, b"A list owner will look"),
    ],
)
def test_open_and_moderated_policies(app, sink, policy, status, says):
    make_list("news@example.org", "News", subscription_policy=policy)
    response = _subscribe(app, "news@example.org", "pat@example.net")
    assert says in response.data and _member("pat@example.net").status == status
    assert sink[1].messages == []


def test_confirm_then_moderate_waits_for_an_owner_after_the_click(app, sink):
    make_list("news@example.org", "News", subscription_policy="confirm_then_moderate")
    _subscribe(app, "news@example.org", "pat@example.net")
    token = _member("pat@example.net").confirm_token
    visitor = Browser(app.test_client())
    assert b"a list owner will approve" in visitor.submit(f"/confirm/{token}", {}).data
    member = _member("pat@example.net")
    assert (member.status, member.pending) == (MemberStatus.PENDING, "approval")


def test_honeypot_and_bad_addresses_and_rate_limit(app, sink):
    make_list("news@example.org", "News", subscription_policy="open")
    response = _subscribe(app, "news@example.org", "bot@example.net", website="http://spam.example")
    assert b"You are subscribed" in response.data and _member("bot@example.net") is None  # as for people
    response = _subscribe(app, "news@example.org", "not an address")
    assert response.status_code == 400 and b"does not look like an email address" in response.data
    codes = [_subscribe(app, "news@example.org", f"p{i}@example.net").status_code for i in range(4)]
    assert codes[-1] == 429  # five POSTs a minute from one address; the bad one above counted too
    assert Browser(app.test_client()).get("/subscribe/nosuch@example.org").status_code == 404


def test_one_click_unsubscribe_is_a_plain_post_without_cookies_or_token(app):
    mlist = make_list("news@example.org", "News")
    db.session.add(Member(list_id=mlist.id, email="pat@example.net"))
    db.session.commit()
    member = _member("pat@example.net")
    path = unsubscribe_url(member.id).removeprefix("https://lists.example.org")
    client = app.test_client(use_cookies=False)
    assert (
        b"Unsubscribe" in client.get(path).data and _member("pat@example.net").status == MemberStatus.ACTIVE
    )
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert _member("pat@example.net").status == MemberStatus.UNSUBSCRIBED
    assert client.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_manage_link_in_a_footer_turns_mail_off_and_unsubscribes(app):
    mlist = make_list("news@example.org", "News")
    db.session.add(Member(list_id=mlist.id, email="pat@example.net"))
    db.session.commit()
    member_id = _member("pat@example.net").id
    path = manage_url(member_id).removeprefix("https://lists.example.org")
    visitor = Browser(app.test_client())
    assert b"How you read the list" in visitor.get(path).data
    visitor.submit(path, {"action": "save", "member_id": str(member_id), "delivery": "nomail"})
    assert _member("pat@example.net").delivery_mode == "nomail"
    visitor.submit(path, {"action": "leave", "member_id": str(member_id)})
    assert _member("pat@example.net").status == MemberStatus.UNSUBSCRIBED
    assert visitor.get("/manage/forged-token").status_code == 404
