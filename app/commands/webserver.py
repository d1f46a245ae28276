"""Serve the panel with gunicorn, configured from the instance settings."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication
from prometheus_client.multiprocess import mark_process_dead


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
        "child_exit": lambda _server, worker: mark_process_dead(worker.pid),  # its live gauges stop counting
    }
    _Gunicorn(app, options).run()
