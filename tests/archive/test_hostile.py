"""Both corpora and a hostile set through the pipeline into a public archive: every page answers, nothing lost."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select

from app.archive.permalinks import URL_SAFE
from app.archive.store import add_message
from app.extensions import db
from app.ingress.accept import Envelope, accept
from app.jobs.queues import enqueue_posts, wait_for_local_jobs
from app.models import ArchivedMessage, Post, PostStatus
from tests.archive.hostile import hostile_messages
from tests.support.corpus import corpus_dir
from tests.support.factories import make_list, make_members

LINK = re.compile(r'href="(/archive/corpus@example\.org/att/[^"]+)"')


def _corpus(name: str) -> dict[str, bytes]:
    paths = sorted(p for p in corpus_dir(name).iterdir() if p.is_file() and p.name != "LICENSE")
    return {f"{name}/{path.name}": path.read_bytes() for path in paths}


def _sources() -> dict[str, bytes]:
    """Through the whole pipeline: the hostile set and CPython's corpus."""
    return {**{f"hostile/{n}": raw for n, raw in hostile_messages().items()}, **_corpus("cpython-email")}


def _distribute_all(mlist, sources: dict[str, bytes]) -> dict[int, str]:
    names = {}
    for name, raw in sources.items():
        for post_id in accept(raw, Envelope(mail_from="sender@example.net", rcpt_tos=(mlist.address,))):
            names[post_id] = name
    wait_for_local_jobs()
    db.session.expire_all()
    held = list(db.session.scalars(select(Post).where(Post.status == PostStatus.HELD)))
    for post in held:  # the panel's contract: approve, set received, enqueue again
        post.moderator_decision, post.status = "approve", PostStatus.RECEIVED
    db.session.commit()
    enqueue_posts([p.id for p in held])
    wait_for_local_jobs()
    wait_for_local_jobs()
    db.session.expire_all()
    return names


def test_every_message_is_archived_once_and_every_page_answers(mail_client):
    client = mail_client
    mlist = make_list(
        "corpus@example.org", "Corpus", posting_policy="open", require_explicit_destination=False,
        max_recipients=0, archive_policy="public", footer_template="-- \n{{ list_name }}",
        max_message_size=0,
    )  # fmt: skip
    make_members(mlist, "reader@example.net")
    names = _distribute_all(mlist, _sources())
    posts = db.session.scalars(select(Post).where(Post.list_id == mlist.id)).all()
    stuck = {names.get(p.id): p.status for p in posts if p.status != PostStatus.DISTRIBUTED}
    assert stuck == {}
    rows = db.session.scalars(select(ArchivedMessage).where(ArchivedMessage.list_id == mlist.id)).all()
    assert sorted(r.post_id for r in rows) == sorted(p.id for p in posts)  # each exactly once
    bounces = _corpus("bounces")
    for raw in bounces.values():  # the bounce corpus straight into the archive, as an import would
        add_message(mlist, raw)
    db.session.commit()
    rows = db.session.scalars(select(ArchivedMessage).where(ArchivedMessage.list_id == mlist.id)).all()
    assert len(rows) == len(posts) + len(bounces) and len(bounces) > 100
    base = "/archive/corpus@example.org"
    for month in {r.month for r in rows}:
        assert client.get(f"{base}/{month}").status_code == 200
    for row in rows:
        key = quote(row.key, safe=URL_SAFE)
        page = client.get(f"{base}/m/{key}")
        assert page.status_code == 200, (names.get(row.post_id), row.key)
        html = page.get_data(as_text=True)
        assert "<script>" not in html and "alert(" not in html and "tracker.example" not in html
        assert "onerror" not in html and html.count("<script") == 1  # only the panel's own script file
        assert client.get(f"{base}/t/{key}").status_code == 200
        for link in LINK.findall(html):
            download = client.get(link.replace("&amp;", "&"))
            assert download.status_code == 200, (names.get(row.post_id), link)
            disposition = download.headers["Content-Disposition"]
            assert disposition.startswith("attachment;") and "/" not in disposition.split("filename*")[0]
            assert "\\" not in disposition and "\r" not in disposition and "\n" not in disposition
    export = client.get(f"{base}/export.mbox")
    assert export.status_code == 200
    assert export.data.count(b"\nFrom ") + 1 == len(rows)
    assert client.get(f"{base}/search?q=inner+body").status_code == 200
    assert client.get(f"{base}/atom.xml").status_code == 200


def test_an_enormous_thread_pages(app, client):
    from tests.archive.support import mail, put

    mlist = make_list("corpus@example.org", "Corpus", archive_policy="public")
    previous = None
    for n in range(320):
        put(mlist, mail(f"Re: long {n}" if n else "long", f"n{n}\n", f"t{n}@example.org", reply_to=previous,
                        date=f"Tue, 03 Mar 2026 10:{n // 60:02d}:{n % 60:02d} +0000"))  # fmt: skip
        previous = f"t{n}@example.org"
    threads = db.session.scalar(select(func.count(func.distinct(ArchivedMessage.thread_id))))
    assert threads == 1
    first = client.get("/archive/corpus@example.org/t/t0@example.org").get_data(as_text=True)
    assert (
        "320 messages" in first
        and "Later →" in first
        and "Re: long 299" in first
        and "Re: long 300" not in first
    )
    second = client.get("/archive/corpus@example.org/t/t0@example.org?page=2").get_data(as_text=True)
    assert "Re: long 300" in second and "Re: long 319" in second
    assert 'class="d12' in first  # indentation stops growing
