"""Rate limits (Flask-Limiter on Redis; in memory when MAILFLOW_REDIS_URL is unset)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Fixed windows: a burst of wrong passwords waits a minute, a long campaign an hour; nobody is locked out for good.
LOGIN_LIMIT = "5 per minute;30 per hour"
SUBSCRIBE_LIMIT = "5 per minute;20 per hour"
# Per address asked for, from any number of clients: 40 IPs must not send one victim 45 confirmations.
SUBSCRIBE_TARGET_LIMIT = "3 per hour;5 per day"
# /manage mails a link: per client, and per address asked for (whoever asks), like subscribing.
MANAGE_LIMIT = "5 per minute;20 per hour"
MANAGE_TARGET_LIMIT = "3 per hour;5 per day"
KEY_PREFIX = "mailflow-limits"

limiter = Limiter(key_func=get_remote_address)


def login_key() -> str:
    """Throttle per client address and account, so one attacker cannot lock a user out from elsewhere."""
    return f"{get_remote_address()}|{request.form.get('email', '').strip().lower()[:320]}"


def subscribe_target_key() -> str:
    """Throttle subscription requests per list and address asked for, whoever asks."""
    email = request.form.get("email", "").strip().lower()[:320]
    return f"subscribe-target|{request.view_args and request.view_args.get('list_address', '')}|{email}"


def manage_target_key() -> str:
    """Throttle manage-link requests per address asked for, whoever asks."""
    return f"manage-target|{request.form.get('email', '').strip().lower()[:320]}"


def init_limiter(app: Flask) -> None:
    """Bind the limiter to the app's Redis (or memory) and render a friendly 429 page."""
    redis_url = app.config["MAILFLOW"].REDIS_URL
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = KEY_PREFIX
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    # The IETF draft's names (RateLimit-Limit, -Remaining, -Reset), which API clients look for.
    for part in ("LIMIT", "REMAINING", "RESET"):
        app.config[f"RATELIMIT_HEADER_{part}"] = f"RateLimit-{part.title()}"
    # Redis down must not take logins down with it: count in memory until it is back.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    limiter.init_app(app)

    @app.errorhandler(429)
    def too_many(_error):
        return render_template("errors/429.html"), 429
