"""CPU cost of the pipeline: decide + prepare a 100 kB post, and per-recipient decoration in microseconds.

Run: .venv/bin/python bench/pipeline_cpu.py [--copies 5000] [--rounds 30]
Uses a throw-away SQLite database in a temp dir; no network, no Redis.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.ingress.headers import summary
from app.models import Delivery, MailingList, Member, Post
from app.pipeline.personalise import personal_headers, render_copy
from app.pipeline.runner import decide, prepare_bytes
from bench.services import SECRET

FOOTER = "-- \nYou are subscribed to {{ list_name }} as {{ member_email }}.\nLeave: {{ unsubscribe_url }}"
HEADER = "Hello {{ member_name or member_email }}"


def post_100k() -> bytes:
    """A multipart/alternative post of about 100 kB: 50 kB plain text and 50 kB HTML."""
    msg = EmailMessage()
    msg["From"] = "Alice Author <alice@example.org>"
    msg["To"] = "team@example.org"
    msg["Subject"] = "Quarterly report — Zürich office"
    msg["Message-ID"] = "<bench-100k@example.org>"
    paragraph = "The quick brown fox jumps over the lazy dog; naïve café owners cheer. " * 8 + "\n\n"
    text = paragraph * (43_000 // len(paragraph))
    msg.set_content(text)
    msg.add_alternative(
        "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n")) + "</body></html>", subtype="html"
    )
    return msg.as_bytes(policy=SMTP)


def timed(func, rounds: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of func() over rounds; CPU time is what other load cannot inflate."""
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mailflow-bench-")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "INSTANCE_PATH": folder,
            "SECRET_KEY": SECRET,
            "PUBLIC_URL": "https://lists.example.org",
        }
    )
    with app.app_context():
        upgrade()
        run(args.copies, args.rounds)


def run(copies: int, rounds: int) -> None:
    mlist = MailingList(
        local_part="team",
        domain="example.org",
        display_name="Team",
        posting_policy="open",
        subject_prefix="[team]",
        dmarc_mode="off",
        header_template=HEADER,
        footer_template=FOOTER,
    )
    db.session.add(mlist)
    db.session.commit()
    raw = post_100k()
    counter = iter(range(10**9))

    def stored() -> Post:
        n = next(counter)
        post = Post(
            list_id=mlist.id,
            mail_from="alice@example.org",
            rcpt_tos=[mlist.address],
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw + str(n).encode()).hexdigest(),
            **summary(raw),
        )
        db.session.add(post)
        db.session.commit()
        return post

    posts = [stored() for _ in range(rounds)]
    decided = timed(lambda: decide(posts.pop()), rounds)
    post = stored()
    prepare = timed(lambda: prepare_bytes(post), rounds)
    post.prepared, post.prepared_layout = prepare_bytes(post)
    members = [
        Member(id=i + 1, list_id=mlist.id, email=f"member{i}@example.net", name=f"Member {i}")
        for i in range(copies)
    ]
    deliveries = [
        Delivery(id=i + 1, post_id=post.id, member_id=m.id, recipient=m.email, member=m)
        for i, m in enumerate(members)
    ]
    start = time.process_time()
    size = sum(len(render_copy(post, mlist, d)) for d in deliveries)
    decorated = (time.process_time() - start) / copies
    start = time.process_time()
    for d in deliveries:
        personal_headers(mlist, d) + post.prepared
    headers_only = (time.process_time() - start) / copies
    print(
        f"post size: {len(raw) / 1024:.1f} kB; prepared: {len(post.prepared) / 1024:.1f} kB; "
        f"slots: {len(post.prepared_layout)}"
    )
    print(
        f"decide (13 rules + commit, SQLite): {decided[1] * 1000:.2f} ms CPU, {decided[0] * 1000:.2f} ms wall "
        f"(median of {rounds})"
    )
    print(
        f"prepare (8 handlers + decoration plan): {prepare[1] * 1000:.2f} ms CPU, {prepare[0] * 1000:.2f} ms wall"
    )
    print("per-recipient figures are CPU time:")
    print(
        f"per-recipient copy, header+footer in both parts: {decorated * 1e6:.0f} µs "
        f"({1 / decorated:,.0f} copies/s, {size / copies / 1024:.1f} kB each)"
    )
    print(
        f"per-recipient copy, List-Unsubscribe only: {headers_only * 1e6:.0f} µs "
        f"({1 / headers_only:,.0f} copies/s)"
    )
    print(f"decoration cost: {(decorated - headers_only) * 1e6:.0f} µs per copy")


if __name__ == "__main__":
    main()
