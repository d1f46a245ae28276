"""Archive pages: month index, thread, message with neighbours, attachments, raw for staff, Atom, tombstones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.archive.support import mail, put
from tests.panel.conftest import quick_user
from tests.support.factories import make_list
from tests.support.web import csrf_token, login

BASE = "/archive/team@example.org"


@pytest.fixture
def thread(app):
    mlist = make_list("team@example.org", "Team", archive_policy="public")
    put(mlist, mail("Plans for March", "Shall we meet?\n", "root@example.org"))
    put(
        mlist,
        mail(
            "Re: Plans for March",
            "> Shall we meet?\n> yes\n> really\n> sure\nYes, write to bob@example.net.\n",
            "reply@example.org",
            sender="Bob <bob@example.net>",
            date="Tue, 03 Mar 2026 11:00:00 +0000",
            reply_to="root@example.org",
            attachment=("../../etc/passwd", b"not really"),
        ),
    )
    put(
        mlist,
        mail(
            "Re: Plans for March",
            "Count me in\n",
            "late@example.org",
            sender="Cyd <cyd@example.com>",
            date="Wed, 04 Mar 2026 09:00:00 +0000",
        ),
    )  # no References: joined by subject
    put(mlist, mail("April fool", "Nothing\n", "april@example.org", date="Wed, 01 Apr 2026 09:00:00 +0000"))
    return mlist


def test_month_thread_message_and_attachment(client, thread):
    index = client.get(BASE)
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert "2026-03" in page and "3 messages" in page and "2026-04" in page
    assert "default-src 'none'" in index.headers["Content-Security-Policy"]
    month = client.get(f"{BASE}/2026-03").get_data(as_text=True)
    assert "Plans for March" in month and "3 messages" in month and "April fool" not in month
    tree = client.get(f"{BASE}/t/root@example.org").get_data(as_text=True)
    assert tree.count("Re: Plans for March") == 2 and 'class="d1' in tree
    message = client.get(f"{BASE}/m/reply@example.org")
    html = message.get_data(as_text=True)
    assert message.status_code == 200 and "Yes, write to" in html
    assert '<details class="quote"><summary>Quoted text (4 lines)' in html
    assert "bob@ex…" in html and "bob@example.net" not in html  # obfuscated on a public archive
    assert 'rel="prev" href="/archive/team@example.org/m/root@example.org"' in html
    assert 'rel="next" href="/archive/team@example.org/m/late@example.org"' in html
    assert "Raw message" not in html and "Remove this message" not in html
    download = client.get(f"{BASE}/att/1/reply@example.org")
    assert download.status_code == 200 and download.data == b"not really"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "passwd" in disposition and "/" not in disposition
    assert download.mimetype == "application/octet-stream"
    assert client.get(f"{BASE}/att/0/reply@example.org").status_code == 404  # the body is no attachment
    assert client.get(f"{BASE}/raw/reply@example.org").status_code == 403
    assert client.get(f"{BASE}/2026-13").status_code == 404
    assert client.get(f"{BASE}/m/nope@example.org").status_code == 404


def test_staff_see_addresses_and_raw_and_owner_removes_with_a_tombstone(client, thread):
    quick_user("owner@example.org", roles={thread: "owner"})
    login(client, "owner@example.org", "correct horse battery")
    html = client.get(f"{BASE}/m/reply@example.org").get_data(as_text=True)
    assert "bob@example.net" in html and "Raw message" in html
    raw = client.get(f"{BASE}/raw/reply@example.org")
    assert raw.status_code == 200 and b"Message-ID: <reply@example.org>" in raw.data
    token = csrf_token(html)
    removed = client.post(
        f"{BASE}/remove/reply@example.org", data={"csrf_token": token, "reason": "personal data"}
    )
    assert removed.status_code == 302
    tomb = client.get(f"{BASE}/m/reply@example.org")
    assert tomb.status_code == 410 and "was removed" in tomb.get_data(as_text=True)
    assert b"write to" not in client.get(f"{BASE}/export.mbox").data
    assert "Yes, write" not in client.get(f"{BASE}/search?q=write").get_data(as_text=True)
    assert client.get(f"{BASE}/att/1/reply@example.org").status_code == 404
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "archive.remove")).all()
    assert entry.actor == "owner@example.org" and entry.details["reason"] == "personal data"
    assert entry.details["key"] == "reply@example.org"


def test_a_moderator_may_not_remove(client, thread):
    quick_user("mod@example.org", roles={thread: "moderator"})
    login(client, "mod@example.org", "correct horse battery")
    html = client.get(f"{BASE}/m/root@example.org").get_data(as_text=True)
    assert "Remove this message" not in html and "Raw message" in html
    response = client.post(f"{BASE}/remove/root@example.org", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 403


def test_html_is_sanitised_and_atom_lists_public_posts(client, thread):
    put(
        thread,
        mail(
            "Fancy",
            "",
            "html@example.org",
            html='<p onclick="x()">Bold <b>move</b><script>alert(1)</script><img src="https://tracker.example/p.gif">'
            '<a href="javascript:alert(1)">j</a><style>p{}</style></p>',
        ).replace(b"Content-Type: text/plain", b"Content-Type: text/x-ignored"),
    )
    html = client.get(f"{BASE}/m/html@example.org").get_data(as_text=True)
    assert "<b>move</b>" in html
    for bad in ("<script>", "alert(1)", "tracker.example", "onclick", "javascript:", "<style"):
        assert bad not in html
    assert html.count("<script") == 1  # the panel's own script file, nothing from the message
    feed = client.get(f"{BASE}/atom.xml")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert b"Plans for March" in feed.data and b"/m/root@example.org" in feed.data


def test_private_archive_shows_an_anonymous_reader_nothing(client, app):
    mlist = make_list("team@example.org", "Team")  # private by default
    put(mlist, mail("Secret plans", "the secret body\n", "s1@example.org"))
    for url in ("", "/", "/2026-03", "/t/s1@example.org", "/m/s1@example.org", "/search?q=secret",
                "/export.mbox", "/export.mbox?month=2026-03", "/atom.xml", "/raw/s1@example.org",
                "/att/0/s1@example.org"):  # fmt: skip
        response = client.get(BASE + url)
        assert response.status_code in (401, 403, 404), url
        assert b"secret body" not in response.data and b"Secret plans" not in response.data, url
    mlist.archive_policy = "none"
    db.session.commit()
    assert client.get(BASE).status_code == 404
    quick_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    assert b"Secret plans" in client.get(f"{BASE}/m/s1@example.org").data  # staff keep what was archived
