"""GET /metrics: the Prometheus text format, for loopback clients or a bearer token from one setting.

A request that came through a proxy is never loopback, even when the proxy itself runs on this host: the
app honours MAILFLOW_PROXY_HOPS (ProxyFix puts the forwarded client address in REMOTE_ADDR), and a request
carrying forwarding headers is refused as loopback whatever its address says.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from app.jobs.status import collect
from app.metrics.instruments import LOCAL_REGISTRY, instruments
from app.metrics.multiprocess import multiprocess_folder, sweep_dead
from app.metrics.state import StateCollector

FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
metrics = Blueprint("metrics", __name__)


def from_loopback() -> bool:
    """The client is on this host and no proxy forwarded the request."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def has_token() -> bool:
    """Authorization: Bearer MAILFLOW_METRICS_TOKEN (compared in constant time; no token set: never)."""
    expected = current_app.config["MAILFLOW"].METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


def scrape_registry() -> CollectorRegistry:
    """The processes' counters (the multiprocess files, else this process's own) and the state gauges."""
    folder = multiprocess_folder()
    registry = CollectorRegistry()
    if folder is None:
        instruments()  # every family shows, even before its first count
        registry = LOCAL_REGISTRY
    else:
        sweep_dead(folder)
        MultiProcessCollector(registry, str(folder))
    return registry


@metrics.get("/metrics")
def scrape() -> Response:
    if not (from_loopback() or has_token()):
        abort(403)
    state = StateCollector(collect(current_app.config["MAILFLOW"].REDIS_URL))
    text = generate_latest(scrape_registry()) + generate_latest(state)
    return Response(text, content_type=CONTENT_TYPE_LATEST)
