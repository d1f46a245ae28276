"""Part queue: the moderation queue with 500 held posts (issue 16: p95 ≤ 100 ms), over HTTP, /healthz the floor.

The held posts are a realistic mix (plain, HTML with an attachment, senders with a history of earlier posts),
so the page pays for snippets, attachment lists and the authors' history as a moderator's would.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from flask import Flask
from sqlalchemy import insert

from bench.http import PanelClient
from bench.panel import _loop, _path, _up
from bench.report import Table
from bench.seed import make_admin, make_list
from bench.services import START_TIMEOUT, Stack, free_port, wait_for

LIST = "queue@example.org"
TARGET_P95_MS = 100


@dataclass(frozen=True)
class Plan:
    held: int
    history: int  # earlier posts by the same senders (distributed, some rejected)
    requests: int


FULL = Plan(held=500, history=5_000, requests=200)
SMOKE = Plan(held=20, history=40, requests=10)


def run(db_kinds: list[str], smoke: bool) -> Table:
    """Queue page timings against /healthz in the same loop, per database."""
    plan = SMOKE if smoke else FULL
    table = Table("queue", ["database", "case", "requests", "p50 ms", "p95 ms", "status", "note"])
    table.meta = {"plan": plan.__dict__, "target_p95_ms": TARGET_P95_MS}
    for kind in db_kinds:
        _database(table, kind, plan)
    table.notes.append(
        "Whole HTTP round trips on loopback to `mailflow web` (gunicorn, 2 workers), pages of 50 posts; "
        f"the target is p95 ≤ {TARGET_P95_MS} ms for the queue pages; /healthz (one SELECT 1) is the floor. "
        "Server CPU is what gunicorn's processes used per request (from /proc), which a loaded machine "
        "inflates far less than the wall-clock times."
    )
    return table


def _database(table: Table, kind: str, plan: Plan) -> None:
    web_port = free_port()
    with Stack(kind, WEB_PORT=str(web_port), PUBLIC_URL=f"http://127.0.0.1:{web_port}") as stack:
        app = stack.app()
        list_id = make_list(app, LIST, members=200)
        _seed_posts(app, list_id, plan)
        email, password = make_admin(app)
        web = stack.spawn("web", "--workers", "2")
        client = PanelClient(f"http://127.0.0.1:{web_port}")
        wait_for(lambda: _up(client), START_TIMEOUT, "mailflow web did not answer /healthz")
        client.login(_path(app, "auth.login"), email, password)
        queue = _path(app, "moderation.list_queue", list_id=list_id)
        last = -(-plan.held // 50)
        cases = [
            ("/healthz (floor)", "/healthz", "ok"),
            (f"list queue, page 1 of {last}", queue, "Held post 0 "),
            (f"list queue, page {last} of {last}", f"{queue}?page={last}", f"Held post {plan.held - 1} "),
            ("all lists' queue, page 1", _path(app, "moderation.all_queues"), "Held post 0 "),
        ]
        for case, path, check in cases:
            before = server_cpu_seconds(web.pid)
            _loop(table, kind, client, case, path, check, plan.requests)
            spent = (server_cpu_seconds(web.pid) - before) / plan.requests * 1000
            row = table.rows[-1]
            row["note"] = f"server CPU {spent:.1f} ms/request" + (f"; {row['note']}" if row["note"] else "")


def server_cpu_seconds(master: int) -> float:
    """CPU time (user + system) used so far by gunicorn's master and its workers: a figure load barely moves."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [master, *_children(master)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker that just exited
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _held_raw(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Stranger {i} <stranger{i % 100}@example.com>"
    msg["To"] = LIST
    msg["Subject"] = f"Held post {i} "
    msg.set_content(f"Hello, this is held post {i}.\n" + "A line of text in the body.\n" * 30)
    if i % 3 == 0:
        msg.add_alternative(
            f"<p>Hello <b>{i}</b> <img src='https://tracker.example/{i}.gif'></p>", subtype="html"
        )
    if i % 4 == 0:
        msg.add_attachment(
            b"%PDF" + bytes(30_000), maintype="application", subtype="pdf", filename=f"f{i}.pdf"
        )
    return msg.as_bytes(policy=SMTP)


def _row(list_id: int, raw: bytes, sender: str, status: str, age: timedelta, reason: str = "") -> dict:
    from app.models.timestamps import utcnow

    return {
        "list_id": list_id,
        "raw": raw,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "sender": sender,
        "mail_from": sender,
        "subject": raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode(),
        "status": status,
        "received_at": utcnow() - age,
        "hold_reasons": [reason] if reason else [],
        "decision_reason": reason,
    }


def _seed_posts(app: Flask, list_id: int, plan: Plan) -> None:
    """plan.history earlier posts by 100 senders, then plan.held held posts by the same senders."""
    from app.extensions import db
    from app.models import Post

    with app.app_context():
        old = [
            _row(
                list_id,
                _small(i),
                f"stranger{i % 100}@example.com",
                "rejected" if i % 7 == 0 else "distributed",
                timedelta(days=400 - i % 365),
            )
            for i in range(plan.history)
        ]
        held = [
            _row(
                list_id,
                _held_raw(i),
                f"stranger{i % 100}@example.com",
                "held",
                timedelta(hours=plan.held - i),
                f"The sender stranger{i % 100}@example.com is not a member.",
            )
            for i in range(plan.held)
        ]
        for start in range(0, len(old), 1000):
            db.session.execute(insert(Post), old[start : start + 1000])
        db.session.execute(insert(Post), held)
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def _small(i: int) -> bytes:
    return f"From: s{i}@example.com\r\nSubject: Earlier post {i}\r\n\r\nHi.\r\n".encode()
