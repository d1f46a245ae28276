"""Gauges read at scrape time from the database and Redis: exact whatever process did the work."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.jobs.status import Status
from app.models.timestamps import utcnow


class StateCollector(Collector):
    """Queue depths, workers, waiting copies and posts, the oldest pending copy's age: one snapshot."""

    def __init__(self, status: Status) -> None:
        self.status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        status = self.status
        queues = GaugeMetricFamily(
            "mailflow_queue_jobs", "RQ jobs in each queue, by state", labels=["queue", "state"]
        )
        for q in status.queues:
            for state, count in (("waiting", q.waiting), ("scheduled", q.scheduled), ("failed", q.failed)):
                queues.add_metric([q.name, state], count)
        yield queues
        yield GaugeMetricFamily(
            "mailflow_workers", "RQ workers alive (heartbeat in Redis)", len(status.workers)
        )
        copies = GaugeMetricFamily(
            "mailflow_copies_waiting", "Copies not settled yet, by state", labels=["state"]
        )
        for state in ("pending", "retrying", "sending"):
            copies.add_metric([state], getattr(status.copies, state))
        yield copies
        oldest = status.copies.oldest_pending
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "mailflow_oldest_pending_delivery_age_seconds",
            "Age of the oldest copy still pending (0 when none)",
            max(age, 0.0),
        )
        posts = GaugeMetricFamily("mailflow_posts_waiting", "Posts waiting for a person", labels=["status"])
        posts.add_metric(["held"], status.held)
        posts.add_metric(["shunted"], status.shunted)
        yield posts
        yield GaugeMetricFamily("mailflow_relay_faults_open", "Open relay faults", len(status.relay_faults))
        yield GaugeMetricFamily(
            "mailflow_redis_up", "1 when Redis answered this scrape", 1 if status.redis == "reachable" else 0
        )
