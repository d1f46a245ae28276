"""/metrics with several processes: two gunicorn workers, a receiver and an RQ worker count into one folder."""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.metrics.test_metrics import samples
from tests.support.factories import make_list, make_members, message
from tests.support.smtp import free_port
from tests.test_entry_points import ROOT, env_for, wait_for_port

TOKEN = "metrics-token-for-the-process-test-0123"


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, ""
    except OSError:  # not listening yet
        return 0, ""


def _start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_http(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while _get(base + "/healthz")[0] != 200:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> str:
    """Stop the process; returns what it wrote to stderr."""
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return err.decode(errors="replace")


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_every_process_counts_into_one_scrape_and_a_proxied_request_is_refused(
    app, settings, redis_url, sink, tmp_path: Path
):
    controller, _ = sink
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org", "ann@example.net")
    web_port, smtpd_port = free_port(), free_port()
    env = env_for(
        settings,
        REDIS_URL=redis_url,
        METRICS_DIR=str(tmp_path / "metrics"),
        METRICS_TOKEN=TOKEN,
        PROXY_HOPS="1",
        WEB_PORT=str(web_port),
        SMTPD_PORT=str(smtpd_port),
        SMTPD_PROCESSES="2",
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(controller.port),
        LOG_FORMAT="json",
    )
    base = f"http://127.0.0.1:{web_port}"
    web, receiver = _start(env, "web", "--workers", "2"), _start(env, "smtpd")
    try:
        _wait_http(base, web)
        wait_for_port(smtpd_port, receiver)
        for _ in range(3):
            with smtplib.SMTP("127.0.0.1", smtpd_port, timeout=10) as client:
                client.sendmail("alice@example.org", ["team@example.org"], message())
        worker = subprocess.run(
            [sys.executable, "-m", "app.cli", "worker", "--burst"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr[-2000:]
        scrapes = [samples(_get(base + "/metrics")[1]) for _ in range(6)]  # spread over both gunicorn workers
        for found in scrapes:
            assert (
                found[("mailflow_posts_received_total", (("outcome", "accepted"), ("source", "smtp")))] == 3
            )
            assert found[("mailflow_copies_sent_total", (("egress", "smtp"),))] == 6
            assert found[("mailflow_end_to_end_latency_seconds_count", (("source", "smtp"),))] == 3
            assert found[("mailflow_ingress_latency_seconds_count", (("source", "smtp"),))] == 3
            assert found[("mailflow_smtp_sessions_total", ())] >= 3
        # nginx on this host forwards an outside client: loopback address, but not a loopback client
        assert _get(base + "/metrics", **{"X-Forwarded-For": "203.0.113.9"})[0] == 403
        assert _get(base + "/metrics", **{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})[0] == 403
        forwarded = _get(
            base + "/metrics", **{"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {TOKEN}"}
        )
        assert forwarded[0] == 200
    finally:
        received = _json_lines(_stop(receiver))
        _stop(web)
    # JSON log lines carry the post id, so one post can be followed from the receiver through the worker
    stored = {line["post_id"] for line in received if "Queued as post" in line["message"]}
    worked = _json_lines(worker.stderr.decode())
    distributed = {line["post_id"] for line in worked if "distributed" in line["message"]}
    assert len(stored) == 3 and stored == distributed
    assert {line["process"] for line in worked if line["post_id"] in stored} == {"worker"}
