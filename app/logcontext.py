"""Which post the current log lines are about: one id carried by a context variable through a job or request.

A job (`process_post`, `deliver`), a receiver storing a message and a panel or API request acting on a post
set it; every log line written meanwhile carries it (`post_id` in the JSON lines, MAILFLOW_LOG_FORMAT=json),
so `jq 'select(.post_id == 81)'` over every process's output follows one post from receipt to delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_post_id: ContextVar[int | None] = ContextVar("mailflow_post_id", default=None)


@contextmanager
def about_post(post_id: int | None) -> Iterator[None]:
    """Log lines written inside are about this post."""
    token = _post_id.set(post_id)
    try:
        yield
    finally:
        _post_id.reset(token)


def set_post(post_id: int | None) -> None:
    """From here to the end of this request, log lines are about this post (cleared by forget_post)."""
    _post_id.set(post_id)


def forget_post() -> None:
    """A new request is about no post yet (threads of a server are reused)."""
    _post_id.set(None)


def current_post() -> int | None:
    return _post_id.get()


class PostIdFilter(logging.Filter):
    """Gives every record a post_id: the one passed in extra=, else the context's (None when about none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "post_id", None) is None:
            record.post_id = _post_id.get()
        return True
