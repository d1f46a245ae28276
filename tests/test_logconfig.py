"""Logging: MAILFLOW_LOG_LEVEL, RQ's routine registry-cleaning lines dropped, AWS SDK chatter quiet."""

from __future__ import annotations

import logging

import pytest

from app.config import ConfigError, load_settings
from app.logconfig import RoutineRQLines, configure_logging


def _record(msg: str, *args, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("rq.worker", level, __file__, 1, msg, args, None)


def test_rq_cleaning_lines_are_dropped_and_other_lines_kept():
    routine = RoutineRQLines()
    assert not routine.filter(_record("Worker %s: cleaning registries for queue: %s", "w1", "mailflow-posts"))
    assert not routine.filter(_record("Worker %s: cleaning group registries", "w1"))
    assert routine.filter(_record("%s: %s (%s)", "mailflow-deliveries", "deliver", "abc"))
    assert routine.filter(_record("cleaning registries failed", level=logging.ERROR))


def test_log_level_setting_and_quiet_libraries():
    root = logging.getLogger()
    before = root.level
    try:
        configure_logging(load_settings({"LOG_LEVEL": "WARNING"}).LOG_LEVEL)
        assert root.level == logging.WARNING
        configure_logging("info")
        assert root.level == logging.INFO
        assert not logging.getLogger("botocore.credentials").isEnabledFor(logging.INFO)
        assert any(isinstance(f, RoutineRQLines) for f in logging.getLogger("rq.worker").filters)
    finally:
        root.setLevel(before)
    with pytest.raises(ConfigError, match="MAILFLOW_LOG_LEVEL"):
        load_settings({"LOG_LEVEL": "loud"})
