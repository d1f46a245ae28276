"""MailFlow Relay: a self-hosted mailing-list manager."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app.bodylimit import FORM_OVERHEAD
from app.config import (
    Settings,
    check_secret_key,
    instance_path,
    load_settings,
    read_environment,
    secret_key,
    testing_flags,
    unknown_variables,
)
from app.instance_files import prepare_sqlite_file, sqlite_file, warn_if_wider
from app.logconfig import configure_logging
from app.logcontext import forget_post
from app.redaction import install_log_redaction

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, object] | None = None, *, web: bool = True) -> Flask:
    """Build the Flask app from MAILFLOW_* settings (overrides win); raises ConfigError on a bad value.

    web=False leaves out the panel, API, archive pages and webhooks: a worker, receiver or admin command
    serves no request, and importing the web side costs ~0.5 s of every process's start.
    """
    environment = read_environment()
    check_secret_key(str(environment.get("SECRET_KEY", "")))  # overrides come from code: tests, benchmarks
    raw = {**environment, **(overrides or {})}
    settings = load_settings(raw)
    flags = testing_flags(raw)
    _configure_logging(settings)
    folder = instance_path(settings)
    database_uri = settings.DATABASE_URL or f"sqlite:///{folder / 'mailflow.db'}"
    app = Flask(__name__, instance_path=str(folder), instance_relative_config=True)
    app.config.update(
        MAILFLOW=settings,
        SECRET_KEY=secret_key(settings, folder),
        SQLALCHEMY_DATABASE_URI=database_uri,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.PUBLIC_URL.startswith("https://"),
        REMEMBER_COOKIE_SECURE=settings.PUBLIC_URL.startswith("https://"),
        MAX_CONTENT_LENGTH=settings.MAX_MESSAGE_SIZE + FORM_OVERHEAD,
    )
    app.config.update(flags)
    _private_instance_files(settings, folder, database_uri)
    _init_extensions(app)
    if web:
        _register_blueprints(app)
    if overrides and callable(
        overrides.get("SNS_CERTIFICATE_FETCHER")
    ):  # tests only: never from the environment
        app.config["SNS_CERTIFICATE_FETCHER"] = overrides["SNS_CERTIFICATE_FETCHER"]
    app.before_request(forget_post)  # a server thread's next request is about no post until it says so
    _proxy_fix(app, settings)
    for line in unknown_variables(environment):
        log.warning(line)
    return app


def _configure_logging(settings: Settings) -> None:
    """Logging as configured, with every record redacted (before anything below can log a password)."""
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    install_log_redaction()


def _private_instance_files(settings: Settings, folder: Path, database_uri: str) -> None:
    """Create the SQLite file 0600 before SQLite would (0644), and warn about anything readable by others."""
    prepare_sqlite_file(database_uri)
    paths = [folder] + ([] if settings.SECRET_KEY else [folder / "secret_key"])
    database = sqlite_file(database_uri)
    warn_if_wider(paths + ([database] if database is not None else []))


def _engine_options(settings: Settings) -> dict:
    if settings.DATABASE_URL.startswith("postgresql"):
        return {"pool_pre_ping": True}
    return {"connect_args": {"timeout": 30}}


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (imported for its side effect: every table registered on db)
    from app.bodylimit import apply_body_limit
    from app.extensions import csrf, db, login_manager, migrate
    from app.models.sqlite import enable_sqlite_pragmas

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.before_request(apply_body_limit)  # before CSRFProtect's hook, which reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    with app.app_context():
        enable_sqlite_pragmas(db.engine)

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.models import User

        ident, _, token = user_id.partition(":")
        user = db.session.get(User, int(ident)) if ident.isdecimal() else None
        return user if user is not None and user.session_token == token else None


def _register_blueprints(app: Flask) -> None:
    from app.api import init_api
    from app.archive.views import archive
    from app.bounces.webhook import webhooks
    from app.metrics.views import metrics
    from app.panel import register_panel
    from app.panel.ids import IdConverter
    from app.public import public

    app.url_map.converters["int"] = IdConverter  # before any rule is added: ids the database can hold

    app.register_blueprint(public)
    app.register_blueprint(webhooks)
    app.register_blueprint(metrics)
    app.register_blueprint(archive)
    register_panel(app)
    init_api(app)


def _proxy_fix(app: Flask, settings: Settings) -> None:
    if settings.PROXY_HOPS:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore
