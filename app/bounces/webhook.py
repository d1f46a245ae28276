"""Provider callbacks: /webhooks/ses receives SES events through Amazon SNS."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request

from app.bounces.ses_events import apply_event
from app.bounces.sns import (
    CertificateCache,
    MalformedMessage,
    UntrustedMessage,
    check_aws_url,
    fetch_https,
    parse,
    verify,
)
from app.extensions import csrf

log = logging.getLogger(__name__)
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Tests (and only tests, through create_app overrides) may replace how SNS certificates are fetched.
FETCHER_KEY = "SNS_CERTIFICATE_FETCHER"


def _certificates() -> CertificateCache:
    cache = current_app.extensions.get("sns_certificates")
    if cache is None:
        cache = current_app.extensions["sns_certificates"] = CertificateCache(
            current_app.config.get(FETCHER_KEY) or fetch_https
        )
    return cache


def _topics() -> list[str]:
    return [t.strip() for t in current_app.config["MAILFLOW"].SES_SNS_TOPIC_ARNS.split(",") if t.strip()]


@webhooks.route("/ses", methods=["POST"])
@csrf.exempt  # SNS cannot send a CSRF token; every message's signature is checked instead
def ses():
    """Verify an SNS message, then confirm the subscription or apply the SES event."""
    try:
        message = parse(request.get_data(cache=False))
        verify(message, _certificates(), _topics())
    except MalformedMessage as exc:
        log.warning("SNS webhook: malformed request: %s", exc)
        return {"error": "malformed SNS message"}, 400
    except UntrustedMessage as exc:
        log.warning("SNS webhook: refused: %s", exc)
        return {"error": "untrusted SNS message"}, 403
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        return _confirm(message)
    if kind == "Notification":
        try:
            recorded = apply_event(message["MessageId"], message["Message"])
        except MalformedMessage as exc:
            log.warning("SNS webhook: notification %s unreadable: %s", message["MessageId"], exc)
            return {"error": "malformed SES event"}, 400
        return {"recorded": recorded}
    log.info("SNS webhook: %s for %s", kind, message["TopicArn"])
    return {"status": "ignored"}


def _confirm(message: dict[str, str]):
    url = message.get("SubscribeURL") or ""
    try:
        check_aws_url(url)
        (current_app.config.get(FETCHER_KEY) or fetch_https)(url)
    except (UntrustedMessage, OSError) as exc:
        log.warning("SNS webhook: could not confirm subscription to %s: %s", message["TopicArn"], exc)
        return {"error": "subscription not confirmed"}, 502
    log.info("SNS webhook: subscription to %s confirmed", message["TopicArn"])
    return {"status": "confirmed"}
