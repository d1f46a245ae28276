"""Part 4, panel: roster, search and moderation queue at 100,000 members over HTTP; CSV import of 100,000 rows."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass

from flask import Flask

from bench.http import PanelClient
from bench.report import Table, percentile
from bench.seed import make_admin, make_list, member_address
from bench.services import START_TIMEOUT, Stack, free_port, mailflow_command, wait_for

LIST = "roster@example.org"


@dataclass(frozen=True)
class Plan:
    members: int
    requests: int
    held: int
    import_rows: int


FULL = Plan(members=100_000, requests=200, held=100, import_rows=100_000)
SMOKE = Plan(members=1_000, requests=10, held=5, import_rows=1_000)


def run(db_kinds: list[str], smoke: bool, only: str = "") -> Table:
    """Page timings against /healthz in the same loop, and the CSV import, per database (only: pages|import)."""
    plan = SMOKE if smoke else FULL
    table = Table("panel", ["database", "case", "requests", "p50 ms", "p95 ms", "status", "note"])
    table.meta = {"plan": plan.__dict__, "only": only or "pages and import"}
    for kind in db_kinds:
        _database(table, kind, plan, only)
    table.notes.append(
        "Times are whole HTTP round trips on loopback to `mailflow web` (gunicorn, 2 workers), "
        "so they bound the server time from above; /healthz (one SELECT 1) is the floor."
    )
    return table


def _database(table: Table, kind: str, plan: Plan, only: str = "") -> None:
    web_port = free_port()
    with Stack(kind, WEB_PORT=str(web_port), PUBLIC_URL=f"http://127.0.0.1:{web_port}") as stack:
        if only != "import":
            _pages(table, kind, stack, plan, web_port)
        if only != "pages":
            _import(table, kind, stack, plan.import_rows)


def _pages(table: Table, kind: str, stack: Stack, plan: Plan, web_port: int) -> None:
    """Seed the list, start `mailflow web`, and time every page."""
    app = stack.app()
    list_id = make_list(app, LIST, members=plan.members)
    _as_imported(app)
    _hold_posts(app, list_id, plan.held)
    email, password = make_admin(app)
    stack.spawn("web", "--workers", "2")
    client = PanelClient(f"http://127.0.0.1:{web_port}")
    wait_for(lambda: _up(client), START_TIMEOUT, "mailflow web did not answer /healthz")
    client.login(_path(app, "auth.login"), email, password)
    for case, path, check in _cases(app, client, list_id, plan):
        _loop(table, kind, client, case, path, check, plan.requests)


def _as_imported(app: Flask) -> None:
    """Finish the bulk load as `mailflow members import` does (ANALYZE on PostgreSQL): a freshly imported list."""
    from app.membership.importer import refresh_member_statistics

    with app.app_context():
        refresh_member_statistics()


def _up(client: PanelClient) -> bool:
    try:
        return client.get("/healthz")[0] == 200
    except OSError:
        return False


def _path(app: Flask, endpoint: str, **values) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _roster_endpoint(app: Flask) -> str:
    """The members page of a list, whatever the panel calls it today."""
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if "list_id" in r.arguments and "GET" in r.methods
    }
    for name in ("members.roster", "members.index", "members.list_members", "lists.members", "lists.detail"):
        if name in endpoints:
            return name
    found = sorted(
        e for e in endpoints if "member" in e and not any(a in e for a in ("export", "import", "add"))
    )
    if not found:
        raise LookupError("no roster page in the panel")
    return found[0]


def _queue_endpoint(app: Flask) -> str | None:
    endpoints = sorted(
        r.endpoint
        for r in app.url_map.iter_rules()
        if "list_id" in r.arguments and "GET" in r.methods and not ({"post_id"} & r.arguments)
    )
    for word in ("moderation", "held", "queue"):
        found = [e for e in endpoints if word in e]
        if found:
            return found[0]
    return None


def _cases(app: Flask, client: PanelClient, list_id: int, plan: Plan) -> list[tuple[str, str, str]]:
    """(case, path, text the page must show) for every page measured."""
    roster = _path(app, _roster_endpoint(app), list_id=list_id)
    middle = member_address(plan.members // 2)
    body = client.get(roster)[1]
    deep = roster + ("&" if "?" in roster else "?")
    deep += f"page={plan.members // 100}" if re.search(r"[?&;]page=\d", body) else f"after={middle}"
    needle = member_address(plan.members // 3)[len("member") : len("member") + 6]
    cases = [
        ("/healthz (floor)", "/healthz", "ok"),
        ("roster, first page", roster, member_address(1)),
        ("roster, deep page", deep, "member0"),
        (
            f"search '{needle}'",
            roster + ("&" if "?" in roster else "?") + f"q={needle}",
            member_address(plan.members // 3),
        ),
    ]  # the needle alone would match the echoed search box
    queue = _queue_endpoint(app)
    if queue:
        cases.append(("moderation queue", _path(app, queue, list_id=list_id), "Held post"))
    return cases


def _loop(
    table: Table, kind: str, client: PanelClient, case: str, path: str, check: str, requests: int
) -> None:
    times, status, ok = [], 0, True
    for _ in range(requests):
        status, body, seconds = client.get(path)
        times.append(seconds * 1000)
        ok = ok and status == 200 and check in body
    note = "" if ok else f"page did not show {check!r}: feature missing or broken"
    if case.startswith("search") and ok and member_address(1) in _first_body(client, path):
        note = "search ignored: the first page came back unfiltered"
    table.add(
        database=kind,
        case=case,
        requests=requests,
        **{"p50 ms": percentile(times, 50), "p95 ms": percentile(times, 95)},
        status=status,
        note=note,
    )


def _first_body(client: PanelClient, path: str) -> str:
    return client.get(path)[1]


def _hold_posts(app: Flask, list_id: int, count: int) -> None:
    """Held posts from nonmembers, as moderation would leave them."""
    import hashlib

    from app.extensions import db
    from app.models import Post, PostStatus

    with app.app_context():
        for i in range(count):
            raw = f"From: stranger{i}@example.com\r\nSubject: Held post {i}\r\n\r\nHello.\r\n".encode()
            db.session.add(
                Post(
                    list_id=list_id,
                    raw=raw,
                    size=len(raw),
                    sha256=hashlib.sha256(raw).hexdigest(),
                    sender=f"stranger{i}@example.com",
                    subject=f"Held post {i}",
                    status=PostStatus.HELD,
                    hold_reasons=[f"The sender stranger{i}@example.com is not a member of the list."],
                )
            )
        db.session.commit()


def _import(table: Table, kind: str, stack: Stack, rows: int) -> None:
    """`mailflow members import` of a CSV file: wall time, peak RSS, rows that arrived."""
    case = f"CSV import, {rows:,} rows"
    if not _import_command_exists():
        table.add(database=kind, case=case, note="not built: `mailflow members import` does not exist yet")
        return
    stack.run_cli("lists", "create", "import@example.org")
    csv_path = stack.folder / "members.csv"
    with open(csv_path, "w") as out:
        out.write("email,name\n")
        out.writelines(f"imported{i:06d}@example.com,Imported Person {i}\n" for i in range(rows))
    start = time.perf_counter()
    proc = subprocess.Popen(
        mailflow_command() + ["members", "import", "import@example.org", str(csv_path)],
        env=stack.env(),
        cwd=stack.folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, code, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(code)
    stored = _count_members(stack.app(), "import")
    table.add(
        database=kind,
        case=case,
        requests=1,
        **{"p50 ms": seconds * 1000, "p95 ms": float("nan")},
        status=proc.returncode,
        note=f"peak RSS {usage.ru_maxrss / 1024:.0f} MB; {stored:,} of {rows:,} stored",
    )
    table.meta.setdefault("import", {})[kind] = {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stored": stored,
        "rows": rows,
    }


def _import_command_exists() -> bool:
    from app.cli import cli
    from app.commands import register

    register(cli)
    members = cli.commands.get("members")
    return members is not None and "import" in getattr(members, "commands", {})


def _count_members(app: Flask, local: str) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import MailingList, Member

    with app.app_context():
        n = db.session.scalar(
            select(func.count(Member.id))
            .join(MailingList, Member.list_id == MailingList.id)
            .where(MailingList.local_part == local)
        )
        db.session.remove()
        return int(n or 0)
