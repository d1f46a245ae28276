"""The one retry policy for mail that could not be sent yet: list copies and system mail alike."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


def backoff(attempts: int) -> int:
    """Seconds before the next try: 30 s doubling per attempt, at most an hour."""
    return min(FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def may_retry(first_tried: datetime, now: datetime, retry_days: int) -> bool:
    """A temporary failure is tried again until MAILFLOW_SMTP_RETRY_DAYS after the first try."""
    return now - first_tried <= timedelta(days=retry_days)
