"""A real stack for the browser: the panel on a loopback port, the SMTP receiver, Redis, RQ, an SMTP sink, chromium."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.support.db import truncate_all
from tests.support.smtp import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The committed screenshots are refreshed only on request (MAILFLOW_SCREENSHOTS=1), so a test run leaves the
# work tree clean; otherwise they go to a scratch folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MAILFLOW_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "mailflow-screenshots"
)


@pytest.fixture
def live(settings, redis_url, sink):
    """The panel served by werkzeug on a free loopback port; yields (app, base URL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    controller, _ = sink
    settings.update(
        REDIS_URL=redis_url,
        EGRESS="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(controller.port),
        PUBLIC_URL=base,
    )
    app = create_app(settings)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        truncate_all()
        yield app, base
        db.session.remove()
        truncate_all()
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser():
    from playwright import sync_api as playwright_api

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
