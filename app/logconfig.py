"""Logging for every process: MAILFLOW_LOG_LEVEL, one format, and routine chatter of libraries kept quiet."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from app.logcontext import PostIdFilter

LOG_LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that say routine things at INFO: aiosmtpd (every connection), botocore ("Found credentials in
# environment variables", each client), the AWS SDK's other parts.
QUIET_LOGGERS = ("mail.log", "botocore", "boto3", "s3transfer", "urllib3")


class RoutineRQLines(logging.Filter):
    """Drops RQ's "cleaning registries" lines (one per queue per maintenance pass: ~8,600 a day per idle worker)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.INFO and "cleaning" in str(record.msg) and "registr" in str(record.msg)
        )


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, post_id, process, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "post_id": getattr(record, "post_id", None),
            "process": PROCESS_NAME or record.processName,
            "pid": record.process,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


PROCESS_NAME = ""  # set by the process starter: smtpd, worker, web, imap


def name_process(name: str) -> None:
    """Which `mailflow` process writes these lines (the JSON lines' "process")."""
    global PROCESS_NAME
    PROCESS_NAME = name


def configure_logging(level: str, log_format: str = "text") -> None:
    """Set the root level and format once, and quiet the libraries' routine lines (idempotent).

    log_format "json": every handler of the root logger writes JSON lines (JsonLines), each with post_id.
    """
    root_level = getattr(logging, level.upper())
    logging.basicConfig(level=root_level, format=FORMAT)
    root = logging.getLogger()
    root.setLevel(root_level)
    for handler in root.handlers:
        if not any(isinstance(f, PostIdFilter) for f in handler.filters):
            handler.addFilter(PostIdFilter())
        if log_format == "json" and type(handler) is logging.StreamHandler:  # not pytest's capture handlers
            handler.setFormatter(JsonLines())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root_level))
    rq_logger = logging.getLogger("rq.worker")
    if not any(isinstance(f, RoutineRQLines) for f in rq_logger.filters):
        rq_logger.addFilter(RoutineRQLines())
