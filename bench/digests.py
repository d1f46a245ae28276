"""Digests: one daily issue of 50 posts to a list of digest readers, built once, delivered by RQ workers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis
from sqlalchemy import func, select, update

from bench.fanout import _watch
from bench.report import Table
from bench.seed import count_deliveries, make_list, post_bytes, recipients
from bench.services import Stack, peak_rss_mb
from bench.sinks import PostfixSink, postfix_tools_missing
from bench.wire import smtplib_ceiling

POST_SIZE = 2000
CEILING_COPIES = 1000


@dataclass(frozen=True)
class Plan:
    members: int
    posts: int
    workers: tuple[int, ...]
    deadline: float  # seconds an issue may take before the run is called incomplete
    post_size: int = POST_SIZE  # bytes of each post's body


FULL = Plan(members=10_000, posts=50, workers=(1,), deadline=900)
SMOKE = Plan(members=200, posts=5, workers=(1,), deadline=60)


def run(db_kinds: list[str], smoke: bool, workers: tuple[int, ...] = (), post_size: int = 0) -> Table:
    """One issue per worker count, per database, against the wire reference measured in the same run."""
    plan = SMOKE if smoke else FULL
    plan = Plan(plan.members, plan.posts, workers or plan.workers, plan.deadline, post_size or POST_SIZE)
    table = Table(
        "digests",
        [
            "database",
            "posts",
            "digest kB",
            "members",
            "workers",
            "build s",
            "last digest s",
            "digests/s",
            "digests/s/worker",
            "wire digests/s",
            "vs wire",
            "peak RSS MB/worker",
            "issues built",
            "sent",
            "lost",
            "duplicated",
        ],
    )
    table.meta = {"plan": plan.__dict__, "post_size": plan.post_size}
    missing = postfix_tools_missing()
    if missing:
        table.notes.append(f"digests not measured: {missing}")
        return table
    for kind in db_kinds:
        with Stack(kind, EGRESS="smtp", SMTP_HOST="127.0.0.1") as stack:
            sink = PostfixSink(stack.folder)
            sink.start()
            stack.settings["SMTP_PORT"] = str(sink.port)
            try:
                for count in plan.workers:
                    _one(table, stack, sink, kind, plan, count)
            finally:
                sink.stop()
    table.notes.append(
        "build s = what `mailflow digests send LIST` does, in the bench process (the issue built once, "
        "queued); digests/s = members / time to the last digest; wire = smtplib sending the same built "
        "digest on one reused connection to the same smtp-sink, measured just before each run."
    )
    return table


def _one(table: Table, stack: Stack, sink: PostfixSink, kind: str, plan: Plan, workers: int) -> None:
    address = f"digest{workers}@example.org"
    list_id = make_list(stack.app(), address, members=plan.members)
    sample = _seed_issue(stack, list_id, address, plan.posts, plan.post_size)
    wire = smtplib_ceiling(sink.port, sample, CEILING_COPIES)
    sink.reset()
    Redis.from_url(stack.redis.url).flushdb()
    procs = stack.start_workers(workers)
    start = time.perf_counter()
    built = _send_now(stack, list_id, start)
    _, last, seen = _watch(sink, plan.members, start, plan.deadline)
    issues, post_id = _issue(stack, list_id)
    sent = _settled(stack, post_id, seen, plan.deadline / 4)
    rss = max(peak_rss_mb(p.pid) for p in procs)
    stack.stop_all(procs)
    lost, duplicated = sink.verdict(recipients(plan.members))
    rate = seen / last if last else 0.0
    table.add(
        database=kind,
        posts=plan.posts,
        **{"digest kB": len(sample) / 1024},
        members=plan.members,
        workers=workers,
        **{"build s": built, "last digest s": last, "digests/s": rate, "digests/s/worker": rate / workers},
        **{"wire digests/s": wire, "vs wire": rate / wire if wire else 0.0, "peak RSS MB/worker": rss},
        **{"issues built": issues},
        sent=sent,
        lost=lost if seen >= plan.members else f"{lost} (timeout)",
        duplicated=duplicated,
    )


def _seed_issue(stack: Stack, list_id: int, address: str, posts: int, post_size: int) -> bytes:
    """Every member reads MIME digests; `posts` distributed posts wait; returns a digest built like the real one."""
    from app.digests.compose import build_mime, item_of
    from app.digests.entries import note_post
    from app.extensions import db
    from app.models import MailingList, Member, Post, PostStatus
    from app.pipeline.runner import prepare_bytes

    with stack.app().app_context():
        db.session.execute(
            update(Member).where(Member.list_id == list_id).values(delivery_mode="mime_digest")
        )
        mlist = db.session.get(MailingList, list_id)
        # Only the send below builds the issue: the workers' scheduler pass must not beat it to it.
        mlist.digest_frequency, mlist.digest_size_threshold_kb = "never", 0
        items = []
        for n in range(posts):
            raw = post_bytes(address, post_size, subject=f"Digest post {n}")
            post = Post(
                list_id=list_id, raw=raw, size=len(raw), sha256=f"bench-{list_id}-{n:06d}".ljust(64, "0")
            )
            db.session.add(post)
            db.session.flush()
            post.prepared, post.prepared_layout = prepare_bytes(post)
            post.status = PostStatus.DISTRIBUTED
            note_post(post)
            items.append(item_of(post.prepared))
        db.session.commit()
        sample = build_mime(mlist, 1, 1, items).data
        db.session.remove()
    return sample


def _send_now(stack: Stack, list_id: int, start: float) -> float:
    """What `mailflow digests send LIST` does, in this process: build the issue once, queue its delivery."""
    from app.digests.schedule import send_pending
    from app.extensions import db
    from app.models import MailingList

    with stack.app().app_context():
        reports = send_pending(db.session.get(MailingList, list_id))
        db.session.remove()
    if len(reports) != 1:
        raise RuntimeError(f"expected one issue, got {reports}")
    return time.perf_counter() - start


def _issue(stack: Stack, list_id: int) -> tuple[int, int]:
    """(issues built for the list, the MIME digest post of the first one)."""
    from app.extensions import db
    from app.models import DigestIssue

    with stack.app().app_context():
        count = db.session.scalar(
            select(func.count()).select_from(DigestIssue).where(DigestIssue.list_id == list_id)
        )
        post_id = db.session.scalar(select(DigestIssue.mime_post_id).where(DigestIssue.list_id == list_id))
        db.session.remove()
    return int(count or 0), int(post_id or 0)


def _settled(stack: Stack, post_id: int, expected: int, timeout: float) -> int:
    deadline = time.perf_counter() + timeout
    sent = 0
    while time.perf_counter() < deadline:
        sent = count_deliveries(stack.app(), post_id).get("sent", 0)
        if sent >= expected:
            break
        time.sleep(0.1)
    return sent
