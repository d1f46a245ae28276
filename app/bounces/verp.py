"""VERP: the envelope sender LIST-bounces+TOKEN@domain, TOKEN short, signed, naming one delivery."""

from __future__ import annotations

import hmac
import re

from flask import current_app

MAC_CHARS = 10  # 40 bits of HMAC-SHA256: forging one token takes ~10^12 guesses
TOKEN = re.compile(rf"^([0-9a-z]+)x([0-9a-f]{{{MAC_CHARS}}})$")
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = DIGITS[digit] + out
        if number == 0:
            return out


def _mac(text: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()  # one-shot hmac.digest: this runs for every copy
    return hmac.digest(key, b"mailflow-verp:" + text.encode(), "sha256").hex()[:MAC_CHARS]


def token_for(delivery_id: int) -> str:
    """The token for a delivery: base-36 id, 'x', truncated HMAC (lower case: local parts get lower-cased)."""
    ident = _base36(delivery_id)
    return f"{ident}x{_mac(ident)}"


def delivery_from_token(token: str) -> int | None:
    """The delivery id inside a token we issued, or None for anything else."""
    match = TOKEN.match(token.strip().lower())
    if match is None or not hmac.compare_digest(_mac(match.group(1)), match.group(2)):
        return None
    return int(match.group(1), 36)


def verp_address(bounces_address: str, delivery_id: int) -> str:
    """LIST-bounces@domain with +TOKEN for this delivery."""
    local, _, domain = bounces_address.rpartition("@")
    return f"{local}+{token_for(delivery_id)}@{domain}"
