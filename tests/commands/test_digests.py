"""`mailflow digests send [LIST]` through the console script: what is pending goes now, once."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import DigestIssue
from tests.digests.conftest import digest_list, distribute


def test_digests_send_sends_what_is_pending_whatever_the_frequency_and_says_so(console, sink):
    console.env.update(
        MAILFLOW_EGRESS="smtp", MAILFLOW_SMTP_HOST="127.0.0.1", MAILFLOW_SMTP_PORT=str(sink[0].port)
    )
    mlist = digest_list(digest_frequency="never")
    distribute(mlist, "One")
    distribute(mlist, "Two")
    sent = console("digests", "send", "team@example.org")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == [
        "team@example.org: Vol 1, Issue 1: 2 posts to 1 mime digest, 1 plain digest"
    ]
    digests = sorted(m.rcpt_tos[0] for m in sink[1].messages if b"Digest, Vol 1, Issue 1" in m.data)
    assert digests == ["mime@example.net", "plain@example.net"]

    again = console("digests", "send")
    assert again.returncode == 0 and again.stdout.strip() == "no digest: nothing new since the last issue"
    assert console("digests", "send", "nobody@example.org").returncode == 2
    assert len(db.session.scalars(select(DigestIssue)).all()) == 1
