"""Prometheus metrics: instruments the processes count with, the scrape-time state, the /metrics door."""
