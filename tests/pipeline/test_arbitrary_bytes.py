"""Hypothesis: arbitrary bytes through parse -> decide -> prepare -> render never raise; at worst a shunt."""

from __future__ import annotations

import itertools
from email import message_from_bytes
from email.policy import default

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Delivery, Member, Post, PostStatus
from app.pipeline.personalise import render_copy
from app.pipeline.runner import process
from tests.pipeline.conftest import store_post
from tests.support.factories import make_list

PIECES = [
    b"From: ",
    b"alice@example.org",
    b"To: team@example.org",
    b"Subject: ",
    b"=?utf-8?q?a=0Ab?=",
    b"=?",
    b"?=",
    b"Content-Type: multipart/mixed; boundary=x",
    b"Content-Type: text/plain; charset=utf-8; format=flowed",
    b"Content-Type: text/html; charset=iso-8859-1",
    b'Content-Type: multipart/signed; boundary="s"',
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"--x",
    b"--x--",
    b"--s",
    b"<body>",
    b"</body>",
    b"\r\n",
    b"\n",
    b"\r",
    b"\x00",
    b" ",
    b"\t",
    b":",
    b"=",
    b"\xff\xfe",
    b"X-MailFlow-List: team.example.org",
    b"List-Id: <team.example.org>",
    b"Approved: x",
    b"Message-ID: <",
]
mail_like = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=40)), max_size=60).map(b"".join)
counter = itertools.count()


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.one_of(st.binary(max_size=3000), mail_like))
def test_arbitrary_bytes_never_escape_the_pipeline(app, raw):
    mlist = _the_list()
    post = store_post(mlist, raw, mail_from=f"fuzz{next(counter)}@example.net")
    process(post.id)  # must not raise
    post = db.session.get(Post, post.id)
    assert post.raw == raw
    assert post.status in set(PostStatus) - {PostStatus.RECEIVED, PostStatus.ACCEPTED}
    if post.status == PostStatus.SHUNTED:
        assert "Traceback" in post.error
        return
    if post.prepared is not None:
        member = db.session.query(Member).first()
        delivery = Delivery(id=1, post_id=post.id, member_id=member.id, recipient=member.email, member=member)
        copy = message_from_bytes(render_copy(post, mlist, delivery), policy=default)
        assert copy["List-Id"] is not None
        for name, value in copy.items():
            assert "\n" not in str(value), name


def _the_list():
    from app.models import MailingList, Member

    mlist = db.session.query(MailingList).first()
    if mlist is None:
        mlist = make_list(
            posting_policy="open",
            require_explicit_destination=False,
            subject_prefix="[t]",
            dmarc_mode="always",
            header_template="Hi {{ member_email }}",
            footer_template="bye",
        )
        # No fan-out, but a member row.
        db.session.add(Member(list_id=mlist.id, email="reader@example.net", status="unsubscribed"))
        db.session.commit()
    return mlist
