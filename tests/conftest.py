"""Shared fixtures: an app on SQLite or PostgreSQL (MAILFLOW_TEST_DB), real Redis, SMTP sinks."""

from __future__ import annotations

import gc
import os
import uuid

import pytest
from flask.testing import FlaskClient
from redis import Redis

from app import create_app
from app.extensions import db
from app.jobs.queues import close_redis
from tests.support import bounds, shards
from tests.support.db import create_test_database, drop_test_database, truncate_all
from tests.support.smtp import free_port

TEST_DB = os.environ.get("MAILFLOW_TEST_DB", "sqlite")
REDIS_BASE = os.environ.get("MAILFLOW_TEST_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("MAILFLOW_TEST_REDIS_DB", "9" if TEST_DB == "sqlite" else "10"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database for the whole run, schema built by the real migrations."""
    if TEST_DB == "postgresql":
        name = f"mailflow_test_{uuid.uuid4().hex[:8]}"
        url = create_test_database(name)
        yield url
        drop_test_database(name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mailflow.db'}"


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    from flask_migrate import upgrade

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path_factory.mktemp("inst"))})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def redis_url() -> str:
    url = f"{REDIS_BASE}/{REDIS_DB}"
    conn = Redis.from_url(url)
    conn.flushdb()
    yield url
    conn.flushdb()
    conn.close()


@pytest.fixture(scope="session")
def loopback_dns():
    """A DNS server on 127.0.0.1 that every test app resolves through (no test reaches the internet)."""
    from tests.support.dns_server import LoopbackDNS

    server = LoopbackDNS()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dns_records(loopback_dns):
    """The loopback DNS server, emptied, with the DMARC policy cache forgotten, for one test."""
    from app.pipeline.dmarc import clear_cache

    loopback_dns.reset()
    clear_cache()
    yield loopback_dns
    loopback_dns.reset()
    clear_cache()


@pytest.fixture
def settings(migrated, tmp_path, loopback_dns) -> dict:
    """Overrides for create_app; tests add to them before asking for `app`."""
    return {
        "DNS_SERVER": loopback_dns.address,
        "DATABASE_URL": migrated,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
        "PUBLIC_URL": "https://lists.example.org",
        "TESTING": True,
    }


@pytest.fixture
def app(settings):
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (fresh `g` and DB session), as in production.

    The `app` fixture keeps an app context open for the test body; without this, requests would share its
    `g` (Flask-Login caches the user there) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_dialect(app) -> str:
    return db.engine.dialect.name


@pytest.fixture
def smtpd_port() -> int:
    return free_port()


DATABASE_FIXTURES = frozenset({"database_url", "fresh_database_url"})


def pytest_configure(config) -> None:
    bounds.install()  # any test reading beside the checkout fails (a user's clone has no ../shared)
    config.addinivalue_line("markers", "database: the test reaches the database under test without a fixture")


def touches_database(item: pytest.Item) -> bool:
    """Whether a test reaches the database under test: through a database fixture, or marked so."""
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))) or bool(
        item.get_closest_marker("database")
    )


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL, only the tests that reach a database (the rest ran on SQLite); then this shard's files."""
    if TEST_DB == "postgresql" and os.environ.get("MAILFLOW_TEST_EVERYTHING") != "true":
        _keep(config, items, touches_database)
    spec = os.environ.get("MAILFLOW_TEST_SHARD", "")
    if spec:
        mine = shards.files_of(spec, [_file_of(item) for item in items])
        _keep(config, items, lambda item: _file_of(item) in mine)


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _keep(config, items: list, wanted) -> None:
    config.hook.pytest_deselected(items=[item for item in items if not wanted(item)])
    items[:] = [item for item in items if wanted(item)]


def pytest_report_header(config) -> str:
    return f"mailflow test database: {TEST_DB}"


@pytest.fixture
def private_redis():
    from tests.support.redis_server import PrivateRedis

    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sink():
    """A real SMTP sink (aiosmtpd) on a free loopback port, recording what it receives."""
    from tests.support.smtp import start_sink

    controller, handler = start_sink()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp_app(settings, redis_url, sink):
    """An app sending through the SMTP egress to the test's sink, with real Redis; tables emptied around it."""
    settings.update(REDIS_URL=redis_url, EGRESS="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink[0].port))
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()
        close_redis(app)


@pytest.fixture(scope="session")
def moto_server():
    """moto's server on loopback, for SES and SNS."""
    from tests.support.aws import MotoServer

    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server):
    moto_server.reset()
    return moto_server


@pytest.fixture(autouse=True)
def _fresh_relay_verdicts(monkeypatch):
    """Each test starts without what earlier ones learnt of their relays (fast, slow, how many connections).

    The worker keeps those per (host, port) for its lifetime; tests give each sink a free port, and a port
    an earlier test's slow sink had would otherwise make a later fast sink look slow, or the other way.
    """
    from app.egress import smtp_pool

    monkeypatch.setattr(smtp_pool, "_slow_relays", {})
    monkeypatch.setattr(smtp_pool, "_relay_limits", {})


@pytest.fixture(autouse=True)
def _return_pooled_connections():
    """After each test, close the idle pooled connections of every app the test made.

    Many tests build their own app (other settings, a second receiver); an engine dropped without dispose()
    leaves its pooled PostgreSQL connections to the garbage collector, which warns (an error here) in some
    later, unrelated test. Disposing only closes idle connections; the engines stay usable.

    A full collection of the suite's whole heap took ~0.2 s a test, so before each test what the earlier
    tests left alive is collected and then frozen (gc.freeze): each collection looks at one test's objects.
    """
    gc.collect()  # the previous test's objects, unreachable now that pytest has let go of its fixtures
    gc.freeze()
    yield
    for test_app, engines in list(db._app_engines.items()):
        for engine in list(engines.values()):
            engine.dispose()
        # its Redis pool too (made again on next use), or a socket is left to the collector
        close_redis(test_app)
    gc.collect()  # a connection leaked by this test fails this test, not a later one
