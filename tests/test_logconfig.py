"""Logging: MAILFLOW_LOG_LEVEL, RQ's routine registry-cleaning lines dropped, AWS SDK chatter quiet."""

from __future__ import annotations

import json
import logging

import pytest

from app.config import ConfigError, load_settings
from app.logconfig import JsonLines, RoutineRQLines, configure_logging
from app.logcontext import PostIdFilter, about_post


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


def test_json_lines_carry_the_post_id_of_the_context_or_of_extra():
    formatter, stamp = JsonLines(), PostIdFilter()
    with about_post(81):
        inside = _record("post %s: accept", 81)
        stamp.filter(inside)
    outside = _record("idle")
    stamp.filter(outside)
    given = logging.LogRecord("app.ingress.smtp", logging.INFO, __file__, 1, "queued", (), None)
    given.post_id = 7
    stamp.filter(given)
    lines = [json.loads(formatter.format(r)) for r in (inside, outside, given)]
    assert [line["post_id"] for line in lines] == [81, None, 7]
    assert lines[0]["message"] == "post 81: accept" and lines[0]["level"] == "info"
    assert lines[0]["time"].endswith("+00:00") and lines[0]["logger"] == "rq.worker"


def test_log_format_setting_is_text_or_json():
    assert load_settings({"LOG_FORMAT": "json"}).LOG_FORMAT == "json"
    with pytest.raises(ConfigError, match="MAILFLOW_LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "yaml"})
