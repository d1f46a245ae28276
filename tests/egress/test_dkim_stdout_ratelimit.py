"""DKIM signing (verified with dkimpy), the stdout backend, and the Redis-shared send-rate limit."""

from __future__ import annotations

import base64
import io

import dkim
from cryptography.hazmat.primitives import serialization
from redis import Redis

from app.config import load_settings
from app.egress import make_sender
from app.egress.base import Outgoing
from app.egress.dkim import DKIMSigningSender
from app.egress.ratelimit import SharedRateLimiter
from app.egress.stdout import StdoutSender
from tests.support.tls import key_pem, make_key

DATA = (
    b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Signed\r\n"
    b"List-Id: <team.example.org>\r\nList-Unsubscribe: <https://lists.example.org/u/x>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nBody.\r\n"
)


def test_dkim_signature_verifies_and_covers_the_list_fields(tmp_path):
    key = make_key()
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(key_pem(key))
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    settings = load_settings(
        {
            "EGRESS": "stdout",
            "DKIM_DOMAIN": "example.org",
            "DKIM_SELECTOR": "mf",
            "DKIM_PRIVATE_KEY_FILE": str(key_file),
        }
    )
    sender = make_sender(settings)
    assert isinstance(sender, DKIMSigningSender)
    signed = sender.sign(DATA)
    field = signed.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"")
    covered = field.split(b"h=", 1)[1].split(b";", 1)[0].lower()
    for name in (b"from", b"subject", b"list-id", b"list-unsubscribe", b"list-unsubscribe-post"):
        assert name in [n.strip() for n in covered.split(b":")]

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"mf._domainkey.example.org." else b""

    assert dkim.verify(signed, dnsfunc=dns)
    assert not dkim.verify(signed.replace(b"Subject: Signed", b"Subject: Tampered"), dnsfunc=dns)


def test_stdout_prints_envelope_and_message():
    out = io.StringIO()
    results = StdoutSender(out).send([Outgoing(7, "team-bounces+x@example.org", "bob@example.net", DATA)])
    assert results[0].ok and results[0].provider_id == "stdout-7"
    assert "MAIL FROM:<team-bounces+x@example.org> RCPT TO:<bob@example.net>" in out.getvalue()
    assert "Subject: Signed" in out.getvalue()


class FakeClock:
    """Time that moves only when the limiter sleeps: no test depends on the wall clock."""

    def __init__(self) -> None:
        self.now = 1_000_000.25
        self.slept = 0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += 1
        self.now += seconds


def test_rate_limit_is_shared_through_redis(redis_url):
    clock = FakeClock()
    conn = Redis.from_url(redis_url)
    # two limiters = two workers (or hosts) sharing one Redis
    first = SharedRateLimiter(conn, "ses", 3, clock=clock.time, sleep=clock.sleep)
    second = SharedRateLimiter(Redis.from_url(redis_url), "ses", 3, clock=clock.time, sleep=clock.sleep)
    windows = [(first if i % 2 else second).acquire() for i in range(8)]
    assert windows == [1_000_000] * 3 + [1_000_001] * 3 + [1_000_002] * 2
    assert clock.slept == 2


def test_rate_limit_zero_means_unlimited():
    clock = FakeClock()
    limiter = SharedRateLimiter(None, "ses", 0, clock=clock.time, sleep=clock.sleep)
    assert {limiter.acquire() for _ in range(50)} == {1_000_000}
    assert clock.slept == 0


def test_dkim_needs_all_three_settings():
    import pytest

    from app.config import ConfigError

    with pytest.raises(ConfigError, match="MAILFLOW_DKIM_SELECTOR"):
        load_settings({"DKIM_DOMAIN": "example.org", "DKIM_PRIVATE_KEY_FILE": "/x.pem"})
    assert load_settings({}).DKIM_DOMAIN == ""
