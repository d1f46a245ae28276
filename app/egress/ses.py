"""Egress through Amazon SES (SESv2 SendEmail with raw content), paced by one shared rate limit."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.config import Settings
from app.egress.base import Outgoing, SendResult
from app.egress.ratelimit import SharedRateLimiter

log = logging.getLogger(__name__)
# Retried with backoff, never lost: SES says "slow down" (API throttling or SMTP-style 454).
THROTTLING_CODES = {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
# The message itself is refused: retrying the same bytes will not help.
PERMANENT_CODES = {"MessageRejected"}
TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def ses_client(settings: Settings, service: str = "sesv2") -> Any:
    """A boto3 client for SES (or SNS) in the configured region, at MAILFLOW_SES_ENDPOINT_URL if set."""
    return boto3.client(
        service,
        region_name=settings.SES_REGION,
        endpoint_url=settings.SES_ENDPOINT_URL or None,
        # Our own backoff handles throttling: boto3 must not also retry and hide it.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )


def tag_value(text: str) -> str:
    """SES tag values allow letters, digits, '_' and '-' only (256 at most)."""
    return TAG_UNSAFE.sub("_", text)[:256] or "_"


class SESSender:
    """One SendEmail call per copy; SES owns the envelope sender and assigns the MessageId."""

    name = "ses"

    def __init__(self, settings: Settings, limiter: SharedRateLimiter, client: Any = None) -> None:
        self.settings = settings
        self.limiter = limiter
        self.client = client or ses_client(settings)

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        return [self._send_one(copy) for copy in batch]

    def _request(self, copy: Outgoing) -> dict[str, Any]:
        request: dict[str, Any] = {
            "Destination": {"ToAddresses": [copy.rcpt]},
            "Content": {"Raw": {"Data": copy.data}},
            "EmailTags": [{"Name": tag_value(k), "Value": tag_value(v)} for k, v in copy.tags],
        }
        if self.settings.SES_CONFIGURATION_SET:
            request["ConfigurationSetName"] = self.settings.SES_CONFIGURATION_SET
        return request

    def _send_one(self, copy: Outgoing) -> SendResult:
        self.limiter.acquire()
        try:
            reply = self.client.send_email(**self._request(copy))
        except ClientError as exc:
            return _client_error(copy, exc)
        except BotoCoreError as exc:
            return SendResult(copy.delivery_id, ok=False, error=f"SES unreachable: {exc}", bounce=False)
        return SendResult(copy.delivery_id, ok=True, provider_id=reply["MessageId"])

    def close(self) -> None:
        return None


def _client_error(copy: Outgoing, exc: ClientError) -> SendResult:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    text = f"SES {code}: {error.get('Message', '')}"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in THROTTLING_CODES or "454" in text or status == 429:
        log.warning("SES throttled copy %s: %s", copy.delivery_id, text)
        return SendResult(copy.delivery_id, ok=False, error=text, bounce=False)
    # MessageRejected refuses the content, not the recipient: recipient bounces come back through SNS.
    return SendResult(copy.delivery_id, ok=False, error=text, permanent=code in PERMANENT_CODES, bounce=False)
