"""The thin entry points as separate processes: `python -m smtpd`, `python worker.py`, `mailflow worker`."""

from __future__ import annotations

import os
import re
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Post, PostStatus
from tests.support.factories import make_list, make_members, message

ROOT = Path(__file__).resolve().parent.parent


def env_for(settings: dict, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update({f"MAILFLOW_{k}": str(v) for k, v in settings.items() if k != "TESTING"})
    env.update({f"MAILFLOW_{k}": v for k, v in extra.items()})
    return env


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited: {process.communicate()[1]}")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("receiver did not start")


def test_python_m_smtpd_and_python_worker_py(app, settings, redis_url, smtpd_port, sink):
    controller, handler = sink
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org", "ann@example.net")
    env = env_for(
        settings,
        REDIS_URL=redis_url,
        SMTPD_PORT=str(smtpd_port),
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(controller.port),
    )
    receiver = subprocess.Popen(
        [sys.executable, "-m", "smtpd"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(smtpd_port, receiver)
        with smtplib.SMTP("127.0.0.1", smtpd_port) as client:
            client.sendmail("alice@example.org", ["team@example.org"], message())
    finally:
        receiver.terminate()
        receiver.communicate(timeout=20)
    worker = subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert worker.returncode == 0, worker.stderr
    assert sorted(handler.by_rcpt()) == ["alice@example.org", "ann@example.net"]


def test_mailflow_worker_burst(app, settings, redis_url, sink):
    from app.ingress import Envelope, accept
    from app.jobs.queues import enqueue_posts

    controller, handler = sink
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org")
    app.config["MAILFLOW"] = app.config["MAILFLOW"].__class__(
        **{**app.config["MAILFLOW"].__dict__, "REDIS_URL": redis_url}
    )
    [post_id] = accept(message(), Envelope("alice@example.org", ("team@example.org",)))
    assert enqueue_posts([post_id])
    env = env_for(
        settings, REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port)
    )
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == PostStatus.DISTRIBUTED
    assert list(handler.by_rcpt()) == ["alice@example.org"]


def test_worker_without_redis_says_so(settings):
    env = env_for(settings)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MAILFLOW_REDIS_URL" in result.stderr


def test_without_redis_jobs_run_in_process_and_the_log_says_so(app, smtpd_port, caplog, capsys):
    from app.jobs.queues import wait_for_local_jobs
    from tests.support.stack import receiver, send

    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org", "ann@example.net")
    with receiver(app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], message())
    for _ in range(3):  # process -> deliver: each job may enqueue the next
        wait_for_local_jobs()
    out = capsys.readouterr().out
    assert "RCPT TO:<ann@example.net>" in out and "RCPT TO:<alice@example.org>" in out
    assert re.search(r"MAIL FROM:<team-bounces\+\w+@example.org>", out)
    db.session.expire_all()
    assert db.session.scalar(select(Post)).status == PostStatus.DISTRIBUTED
