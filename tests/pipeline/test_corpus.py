"""Every message of CPython's email test corpus through the receiver's accept(), the pipeline and the egress."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.ingress.accept import Envelope, accept
from app.jobs.queues import wait_for_local_jobs
from app.models import Post, PostStatus
from tests.pipeline.standards import check_copy
from tests.support.corpus import corpus_dir
from tests.support.factories import make_list, make_members

CORPUS = corpus_dir("cpython-email")


def corpus_messages() -> list[Path]:
    """The 47 msg_*.txt messages and the 17 image/sound files beside them (fed in as hostile "mail")."""
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "LICENSE")


def test_the_corpus_is_there():
    assert len(corpus_messages()) == 64


def test_every_corpus_message_goes_through_without_a_crash(mail_app, sink):
    mlist = make_list(
        "corpus@example.org",
        "Corpus",
        posting_policy="open",
        require_explicit_destination=False,
        max_recipients=0,
        subject_prefix="[corpus]",
        dmarc_mode="always",
        header_template="Hi {{ member_email }}",
        footer_template="-- \n{{ list_name }}: {{ unsubscribe_url }}",
    )
    make_members(mlist, "reader@example.net")
    raws = {}
    for path in corpus_messages():
        raw = path.read_bytes()
        [post_id] = accept(raw, Envelope(mail_from="sender@example.net", rcpt_tos=(mlist.address,)))
        raws[post_id] = (path.name, raw)
    wait_for_local_jobs()
    db.session.expire_all()
    held = [p for p in db.session.scalars(select(Post)) if p.status == PostStatus.HELD]
    for post in held:  # the panel's contract: approve, set received, enqueue process_post again
        post.moderator_decision, post.status = "approve", PostStatus.RECEIVED
    db.session.commit()
    from app.jobs.queues import enqueue_posts

    enqueue_posts([p.id for p in held])
    wait_for_local_jobs()
    wait_for_local_jobs()
    db.session.expire_all()

    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    statuses = {raws[p.id][0]: p.status for p in posts}
    shunted = {
        raws[p.id][0]: p.error.strip().splitlines()[-1] for p in posts if p.status == PostStatus.SHUNTED
    }
    assert shunted == {}
    assert set(statuses.values()) == {PostStatus.DISTRIBUTED}, statuses
    for post in posts:
        assert post.raw == raws[post.id][1]  # raw bytes never touched
    copies = sink[1].messages
    assert len(copies) == len(posts)
    by_post = {m.data: m for m in copies}
    assert len(by_post) == len(posts)
    originals = {raws[p.id][0]: raws[p.id][1] for p in posts}
    for copy in copies:
        name = next(n for n, raw in originals.items() if _same_post(copy.data, raw))
        check_copy(copy.data, copy.mail_from, mlist, originals[name])


def _same_post(copy: bytes, raw: bytes) -> bool:
    from app.mail.rawmessage import RawMessage

    source, head = RawMessage.parse(raw), RawMessage.parse(copy)
    return [d for n, d in source.fields if n == "date"][:1] == [d for n, d in head.fields if n == "date"][
        :1
    ] and (source.get("Message-ID") or "") in (head.get("Message-ID") or "")
