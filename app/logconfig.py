"""Logging for every process: MAILFLOW_LOG_LEVEL, one format, and routine chatter of libraries kept quiet."""

from __future__ import annotations

import logging

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


def configure_logging(level: str) -> None:
    """Set the root level and format once, and quiet the libraries' routine lines (idempotent)."""
    root_level = getattr(logging, level.upper())
    logging.basicConfig(level=root_level, format=FORMAT)
    logging.getLogger().setLevel(root_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root_level))
    rq_logger = logging.getLogger("rq.worker")
    if not any(isinstance(f, RoutineRQLines) for f in rq_logger.filters):
        rq_logger.addFilter(RoutineRQLines())
