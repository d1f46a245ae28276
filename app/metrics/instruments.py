"""The counters and histograms every process records into (prometheus_client; names prefixed mailflow_).

Instruments are made on first use, not at import: a process starter switches prometheus_client to its
multiprocess files first (app/metrics/multiprocess.py), so what a worker, a receiver or a gunicorn worker
counts lands in the shared folder the scrape reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

# Ingress: a commit takes milliseconds; end to end: seconds to hours (retries over days end in the last bucket).
INGRESS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
END_TO_END_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)
# Counted in this process only when no multiprocess folder is configured (development, tests in-process).
LOCAL_REGISTRY = CollectorRegistry(auto_describe=True)


@dataclass(frozen=True)
class Instruments:
    posts_received: Counter
    copies_sent: Counter
    copies_failed: Counter
    bounces: Counter
    ingress_latency: Histogram
    end_to_end_latency: Histogram
    smtp_sessions: Counter
    smtp_sessions_open: Gauge


@cache
def instruments() -> Instruments:
    """The process's instruments, made once (after the multiprocess switch, if any)."""
    registry = LOCAL_REGISTRY
    disable_created_metrics()  # no *_created series: the multiprocess scrape has none either
    return Instruments(
        posts_received=Counter(
            "mailflow_posts_received",
            "Posts decided by the pipeline, by ingress source and outcome (accepted, held, rejected, "
            "discarded, shunted)",
            ["source", "outcome"],
            registry=registry,
        ),
        copies_sent=Counter(
            "mailflow_copies_sent", "Copies the egress accepted", ["egress"], registry=registry
        ),
        copies_failed=Counter(
            "mailflow_copies_failed",
            "Copies the egress refused: temporary (retried) or permanent",
            ["egress", "kind"],
            registry=registry,
        ),
        bounces=Counter("mailflow_bounces", "Bounces recorded, by kind", ["kind"], registry=registry),
        ingress_latency=Histogram(
            "mailflow_ingress_latency_seconds",
            "From the end of the message's data to its commit (SMTP: before the 250 reply)",
            ["source"],
            buckets=INGRESS_BUCKETS,
            registry=registry,
        ),
        end_to_end_latency=Histogram(
            "mailflow_end_to_end_latency_seconds",
            "From a post's receipt to its last copy settled (distributed posts)",
            ["source"],
            buckets=END_TO_END_BUCKETS,
            registry=registry,
        ),
        smtp_sessions=Counter("mailflow_smtp_sessions", "SMTP connections accepted", registry=registry),
        smtp_sessions_open=Gauge(
            "mailflow_smtp_sessions_open",
            "SMTP connections open now",
            multiprocess_mode="livesum",
            registry=registry,
        ),
    )


def post_decided(source: str, outcome: str) -> None:
    instruments().posts_received.labels(source=source, outcome=outcome).inc()


def copies_settled(egress: str, sent: int, temporary: int, permanent: int) -> None:
    """One batch's outcomes at the egress."""
    tools = instruments()
    if sent:
        tools.copies_sent.labels(egress=egress).inc(sent)
    if temporary:
        tools.copies_failed.labels(egress=egress, kind="temporary").inc(temporary)
    if permanent:
        tools.copies_failed.labels(egress=egress, kind="permanent").inc(permanent)


def bounce_recorded(kind: str) -> None:
    instruments().bounces.labels(kind=kind).inc()


def ingress_stored(source: str, seconds: float) -> None:
    instruments().ingress_latency.labels(source=source).observe(seconds)


def post_distributed(source: str, seconds: float) -> None:
    instruments().end_to_end_latency.labels(source=source).observe(max(seconds, 0.0))


def smtp_session_opened() -> None:
    tools = instruments()
    tools.smtp_sessions.inc()
    tools.smtp_sessions_open.inc()


def smtp_session_closed() -> None:
    instruments().smtp_sessions_open.dec()
