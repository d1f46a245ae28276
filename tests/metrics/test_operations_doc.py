"""docs/grafana-dashboard.json loads, and every metric its panels and docs/operations.md's alerts use exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCS = Path(__file__).parents[2] / "docs"
METRIC = re.compile(r"\bmailflow_[a-z_]+")
TYPE_LINE = re.compile(r"^# TYPE (\S+) (\w+)$", re.M)
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("",), "gauge": ("",)}


def exposed(client) -> set[str]:
    """Every series name /metrics can show (histograms with their _bucket, _count and _sum)."""
    text = client.get("/metrics").get_data(as_text=True)
    return {name + suffix for name, kind in TYPE_LINE.findall(text) for suffix in SUFFIXES[kind]}


def test_every_dashboard_panel_queries_metrics_that_exist(app, client):
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    names = exposed(client)
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        used = {m for target in panel["targets"] for m in METRIC.findall(target["expr"])}
        assert used and used <= names, (panel["title"], used - names)


def test_the_operations_page_names_every_metric_and_its_alerts_use_real_ones(app, client):
    page = (DOCS / "operations.md").read_text()
    names = exposed(client)
    families = {n.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum") for n in names}
    assert {f for f in families if f"`{f}`" not in page} == set()
    alerts = page.split("```yaml", 1)[1].split("```", 1)[0]
    assert set(METRIC.findall(alerts)) <= names
