"""The panel: one blueprint per area."""

from flask import Flask

# Modules, not their blueprints: `from app.panel.lists import lists` here would hide the module app.panel.lists.
from app.panel import (
    account,
    audit,
    auth,
    dashboard,
    held,
    hooks,
    lists,
    members,
    people,
    posts,
    requests,
    rules,
    senders,
    tokens,
    users,
)
from app.panel.access import held_count_for_nav, roles_on
from app.panel.alerts import relay_faults_for_banner
from app.panel.display import register_display
from app.panel.errors import register_error_pages
from app.panel.requests import requests_count_for_nav
from app.panel.security import add_security_headers
from app.panel.throttle import init_limiter
from app.public.health import LoopbackHealthChecks

BLUEPRINTS = (
    auth.auth,
    account.account,
    dashboard.dashboard,
    lists.lists,
    rules.rules,
    senders.senders,
    members.members,
    held.moderation,
    requests.requests,
    posts.posts,
    users.users,
    audit.audit,
    people.people,
    tokens.tokens,
    hooks.hooks,
)


def register_panel(app: Flask) -> None:
    """Register every panel blueprint, the rate limiter, the security headers and the navigation count."""
    init_limiter(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.after_request(add_security_headers)
    app.context_processor(
        lambda: {
            "nav_held": held_count_for_nav(),
            "nav_requests": requests_count_for_nav(),
            "relay_faults": relay_faults_for_banner(),
        }
    )
    app.jinja_env.globals["list_roles"] = roles_on
    register_display(app)
    register_error_pages(app)
    hosts = app.config["MAILFLOW"].TRUSTED_HOSTS
    if hosts:
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]
        app.wsgi_app = LoopbackHealthChecks(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
