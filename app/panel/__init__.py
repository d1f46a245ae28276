"""The panel: one blueprint per area."""

from flask import Flask


def register_panel(app: Flask) -> None:
    """Register every panel blueprint, the rate limiter, the security headers and the navigation count."""
    from app.panel.access import held_count_for_nav, roles_on
    from app.panel.account import account
    from app.panel.alerts import relay_faults_for_banner
    from app.panel.audit import audit
    from app.panel.auth import auth
    from app.panel.bans import bans
    from app.panel.dashboard import dashboard
    from app.panel.display import register_display
    from app.panel.errors import register_error_pages
    from app.panel.held import moderation
    from app.panel.lists import lists
    from app.panel.members import members
    from app.panel.posts import posts
    from app.panel.rules import rules
    from app.panel.security import add_security_headers
    from app.panel.throttle import init_limiter
    from app.panel.users import users

    init_limiter(app)
    for blueprint in (auth, account, dashboard, lists, rules, bans, members, moderation, posts, users, audit):
        app.register_blueprint(blueprint)
    app.after_request(add_security_headers)
    app.context_processor(
        lambda: {"nav_held": held_count_for_nav(), "relay_faults": relay_faults_for_banner()}
    )
    app.jinja_env.globals["list_roles"] = roles_on
    register_display(app)
    register_error_pages(app)
    hosts = app.config["MAILFLOW"].TRUSTED_HOSTS
    if hosts:
        from app.public.health import LoopbackHealthChecks

        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]
        app.wsgi_app = LoopbackHealthChecks(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
