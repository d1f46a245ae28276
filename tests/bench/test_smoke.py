"""The benchmarks' smoke mode end to end: every part runs, and nothing is lost or duplicated (never timed)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.database  # `python -m bench --smoke --db KIND` makes its own database of that kind
PARTS = ("ingress", "fanout", "digests", "latency", "panel", "queue", "cpu", "migration", "manage")


TIMEOUT = 900  # ~90 s alone; four test runs and other work on two cores once made it exceed 300 s


def _run_bench(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the bench in a process group of its own; past the timeout the whole group goes (its web, workers)."""
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # the bench unwinds: stops what it started, drops its database
        try:
            proc.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):  # what did not stop by itself
                os.killpg(proc.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory) -> dict[str, dict]:
    """Run `python -m bench --smoke` once on the test database; the JSON each part wrote."""
    kind = os.environ.get("MAILFLOW_TEST_DB", "sqlite")
    results = tmp_path_factory.mktemp("bench-results")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["BENCH_RESULTS_DIR"] = str(results)
    done = _run_bench([sys.executable, "-m", "bench", "--smoke", "--db", kind], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return {part: json.loads((results / f"{part}-smoke-latest.json").read_text()) for part in PARTS}


def _rows(results: dict, part: str) -> list[dict]:
    rows = results[part]["rows"]
    assert rows, f"{part} measured nothing: {results[part]['notes']}"
    return rows


def test_ingress_stores_every_message_once(smoke_results):
    ours = [r for r in _rows(smoke_results, "ingress") if r["server"].startswith("mailflow smtpd")]
    assert {r["server"] for r in ours} >= {
        "mailflow smtpd, 1 process"
    }  # and one per core, where there are more
    for row in ours:
        assert (row["stored"], row["lost"], row["duplicated"]) == (row["messages"], 0, 0)
        assert row["msg/s"] > 0


def test_fanout_delivers_one_copy_per_member(smoke_results):
    for row in _rows(smoke_results, "fanout"):
        assert (row["lost"], row["duplicated"]) == (0, 0), row
        assert row["sent"] == row["members"]


def test_digests_build_one_issue_and_reach_every_reader_once(smoke_results):
    for row in _rows(smoke_results, "digests"):
        assert (row["issues built"], row["lost"], row["duplicated"]) == (1, 0, 0), row
        assert row["sent"] == row["members"]


def test_latency_posts_reach_every_member_once(smoke_results):
    posts = [r for r in _rows(smoke_results, "latency") if "members" in r["case"]]
    assert len(posts) == 2
    for row in posts:
        assert (row["lost"], row["duplicated"]) == (0, 0), row
        assert row["copies"] > 0
        assert row["p50 ms"] == row["p50 ms"], "no first copy arrived"  # NaN when nothing came


def test_panel_pages_answer(smoke_results):
    pages = [
        r for r in _rows(smoke_results, "panel") if r.get("requests", 0) and not r["case"].startswith("CSV")
    ]
    assert any(r["case"].startswith("roster") for r in pages)
    for row in pages:
        assert row["status"] == 200, row


def test_queue_pages_show_the_held_posts(smoke_results):
    rows = _rows(smoke_results, "queue")
    assert [r["case"] for r in rows][:2] == ["/healthz (floor)", "list queue, page 1 of 1"]
    for row in rows:
        assert row["status"] == 200 and row["note"].startswith("server CPU"), row
        assert "did not show" not in row["note"], row


def test_cpu_profile_names_the_costs(smoke_results):
    result = smoke_results["cpu"]
    assert len(result["meta"]["top_own_time"]) == 5
    whole = result["rows"][0]
    assert whole["what"].startswith("worker run") and whole["ms total"] > 0


def test_migration_imports_every_member_once(smoke_results):
    for row in _rows(smoke_results, "migration"):
        assert row["imported"] == row["members"], row


def test_manage_pages_answer(smoke_results):
    rows = _rows(smoke_results, "manage")
    assert {r["case"].split(",")[0] for r in rows} == {"manage page", "request form /manage"}
    for row in rows:
        assert row["requests"] > 0 and row["p50 ms"] == row["p50 ms"], row  # NaN when none answered
