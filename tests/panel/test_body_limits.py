"""Body limits: a 15 MB CSV import is accepted (docs/nginx.md promises 50 MB); other forms keep the message cap.
Health checks from the host itself pass MAILFLOW_TRUSTED_HOSTS."""

from __future__ import annotations

import io

from sqlalchemy import select

from app import create_app
from app.bodylimit import IMPORT_MAX_BYTES
from app.extensions import db
from app.jobs.queues import close_redis
from app.models import MemberImport

FIFTEEN_MB = 15 * 1024 * 1024


def _csv(size: int) -> bytes:
    row = b"someone.with.a.long.address@example.com,Some Person With A Long Name\n"
    return b"email,name\n" + row * (size // len(row) + 1)


def _post(browser, url: str, data: dict) -> int:
    """POST a multipart form; the test client's spooled body is closed here (werkzeug leaves it open)."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path=url,
        method="POST",
        data={"csrf_token": browser.token(url), **data},
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:
        browser.fresh_g()
        return browser.client.open(environ).status_code
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_a_15_mb_import_is_accepted_and_a_15_mb_paste_is_not(world, browser_for, redis_url, settings):
    a = world["a"]
    browser = browser_for("owner@example.org")
    queued = create_app({**settings, "REDIS_URL": redis_url})  # the job is queued, not run, in this test
    browser.client.application.config["MAILFLOW"] = queued.config["MAILFLOW"]
    status = _post(
        browser, f"/lists/{a.id}/members/import", {"file": (io.BytesIO(_csv(FIFTEEN_MB)), "a.csv")}
    )
    close_redis(browser.client.application)
    assert status == 302
    assert len(db.session.scalar(select(MemberImport.data))) > FIFTEEN_MB
    paste = f"/lists/{a.id}/members/paste"
    assert _post(browser, paste, {"lines": "x" * FIFTEEN_MB}) == 413
    huge = {"file": (io.BytesIO(b"x" * (IMPORT_MAX_BYTES + 2 * 1024 * 1024)), "huge.csv")}
    assert _post(browser, f"/lists/{a.id}/members/import", huge) == 413
    with queued.app_context():
        db.engine.dispose()


def test_healthz_from_the_host_itself_passes_trusted_hosts(settings):
    app = create_app({**settings, "TRUSTED_HOSTS": "lists.example.org"})
    client = app.test_client()
    loopback = {"REMOTE_ADDR": "127.0.0.1"}
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000"):
        assert client.get("/healthz", headers={"Host": host}, environ_base=loopback).status_code == 200, host
    assert client.get("/healthz", headers={"Host": "lists.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}, environ_base=loopback).status_code == 400
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/healthz", headers={"Host": "127.0.0.1"}, environ_base=remote).status_code == 400
    assert client.get("/login", headers={"Host": "127.0.0.1"}, environ_base=loopback).status_code == 400
    with app.app_context():
        db.engine.dispose()
