"""Serve the panel with gunicorn, configured from the instance settings."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve_web(app: Flask, workers: int = 2) -> None:
    """Run gunicorn in the foreground with the app already built."""
    settings = app.config["MAILFLOW"]
    options = {
        "bind": f"{settings.WEB_HOST}:{settings.WEB_PORT}",
        "workers": workers,
        "threads": 4,
        "accesslog": "-",
        "forwarded_allow_ips": "127.0.0.1,::1" if settings.PROXY_HOPS else "",
    }
    _Gunicorn(app, options).run()
