"""The panel: one blueprint per area."""

from flask import Flask


def register_panel(app: Flask) -> None:
    """Register every panel blueprint and the security headers."""
    from app.panel.auth import auth
    from app.panel.dashboard import dashboard
    from app.panel.lists import lists
    from app.panel.security import add_security_headers

    for blueprint in (auth, dashboard, lists):
        app.register_blueprint(blueprint)
    app.after_request(add_security_headers)
