"""Authentication-Results (RFC 8601) from the MTAs we trust: did SPF or DMARC fail?

Only fields whose authserv-id is one of MAILFLOW_AUTHSERV_IDS count: anyone can write such a field, and RFC
8601 §5 has the MTA in front of us remove incoming ones bearing its own id. With no id configured, nothing is
trusted and nothing fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COMMENT = re.compile(r"\([^()]*\)")


def trusted_ids(setting: str) -> set[str]:
    """The authserv-ids of a comma-separated setting, lower-cased."""
    return {part.strip().lower() for part in setting.split(",") if part.strip()}


def _results(value: str, trusted: set[str]) -> str:
    """The result part of one field when its authserv-id is trusted, else ''."""
    text = " ".join(COMMENT.sub(" ", value).split())
    head, _, results = text.partition(";")
    authserv_id = head.split(" ", 1)[0].lower()  # an optional version number may follow the id
    return results if authserv_id in trusted else ""


def failed(method: str, values: Iterable[str], trusted: set[str]) -> bool:
    """True when a trusted field says method (spf, dkim, dmarc) = fail."""
    verdict = re.compile(rf"(?:^|;)\s*{re.escape(method)}\s*=\s*fail\b", re.IGNORECASE)
    return any(verdict.search(_results(v, trusted)) for v in values)
