"""An independent Standard Webhooks verifier, written from the specification (not app.webhooks.signing)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.webhooks.receiver import Received


def verify(secret: str, received: Received) -> bool:
    """True when one of the v1 signatures matches HMAC-SHA256(key, id.timestamp.body)."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = b".".join(
        [
            received.headers["webhook-id"].encode(),
            received.headers["webhook-timestamp"].encode(),
            received.body,
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1) for s in received.headers["webhook-signature"].split()]
    return any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in offered)
