"""Health checks from the host itself pass MAILFLOW_TRUSTED_HOSTS.

`curl http://127.0.0.1:8000/healthz` (systemd, a load balancer agent, a monitoring script on the host) names
a loopback Host that the trusted list rightly lacks; Flask answered 400. A loopback client asking for a
loopback host on a health path is let through as the first trusted host; nothing else changes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
LOOPBACK_NAMES = ("localhost",)


def _name(host: str) -> str:
    """The host without its port: "[::1]:8000" -> "::1", "127.0.0.1:8000" -> "127.0.0.1"."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0] if host.count(":") == 1 else host


def _is_loopback(host: str) -> bool:
    name = _name(host)
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class LoopbackHealthChecks:
    """WSGI middleware: a loopback health check is answered whatever MAILFLOW_TRUSTED_HOSTS says."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], trusted: list[str]) -> None:
        self.wsgi_app = wsgi_app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") in HEALTH_PATHS
            and _is_loopback(environ.get("REMOTE_ADDR", ""))
            and _is_loopback(environ.get("HTTP_HOST", ""))
        ):
            environ = {**environ, "HTTP_HOST": self.trusted[0]}
        return self.wsgi_app(environ, start_response)
