"""Amazon SNS message checks: signature (versions 1 and 2), certificate origin, topic, age."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.models.timestamps import utcnow

Fetch = Callable[[str], bytes]
# sns.<region>.amazonaws.com, or sns.cn-<...>.amazonaws.com.cn: a region name, not any label (sns.s3.…).
CERT_HOST = re.compile(
    r"^sns\.(?:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})\.amazonaws\.com"
    r"|(?P<cn_region>cn-[a-z]+-\d{1,2})\.amazonaws\.com\.cn)$"
)
# The subject SNS signing certificates carry (the global name, or the regional host's own).
CERT_SUBJECTS = ("sns.amazonaws.com", "sns.amazonaws.com.cn")
MAX_AGE = timedelta(hours=1)
MAX_BODY = 256 * 1024
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
REQUIRED = (
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
)


class MalformedMessage(ValueError):
    """Not an SNS message at all (answer 400)."""


class UntrustedMessage(ValueError):
    """An SNS message we cannot trust: signature, certificate, topic or age (answer 403)."""


def parse(body: bytes) -> dict[str, str]:
    """The JSON object SNS posts; raises MalformedMessage."""
    if len(body) > MAX_BODY:
        raise MalformedMessage("body too large")
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(message, dict) or not all(isinstance(message.get(k), str) for k in REQUIRED):
        raise MalformedMessage(f"an SNS message needs string fields {', '.join(REQUIRED)}")
    if message["Type"] not in SIGNED_FIELDS:
        raise MalformedMessage(f"unknown SNS message type {message['Type']!r}")
    return message


def check_aws_url(url: str) -> str:
    """An https URL on sns.<region>.amazonaws.com (or .amazonaws.com.cn), or UntrustedMessage."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not CERT_HOST.match(parts.hostname or "") or parts.port not in (None, 443):
        raise UntrustedMessage(f"{url!r} is not an https URL on sns.<region>.amazonaws.com")
    return url


def fetch_https(url: str) -> bytes:
    """GET an https URL on SNS's own host (TLS-verified by urllib)."""
    with urllib.request.urlopen(check_aws_url(url), timeout=10) as response:
        return response.read(64 * 1024)


def string_to_sign(message: dict[str, str]) -> bytes:
    """The canonical text SNS signs: name and value lines of the type's fields that are present."""
    lines: list[str] = []
    for name in SIGNED_FIELDS[message["Type"]]:
        if name in message and message[name] is not None:
            lines += [name, message[name]]
    return ("\n".join(lines) + "\n").encode("utf-8")


class CertificateCache:
    """Signing certificates by URL, fetched once each."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self._keys: dict[str, rsa.RSAPublicKey] = {}

    def key(self, url: str) -> rsa.RSAPublicKey:
        """The RSA public key of the certificate at an SNS URL."""
        check_aws_url(url)
        if url not in self._keys:
            try:
                cert = x509.load_pem_x509_certificate(self.fetch(url))
            except (OSError, ValueError) as exc:
                raise UntrustedMessage(f"signing certificate {url} unusable: {exc}") from None
            check_subject(cert, urlsplit(url).hostname or "")
            public = cert.public_key()
            if not isinstance(public, rsa.RSAPublicKey):
                raise UntrustedMessage(f"signing certificate {url} has no RSA key")
            if len(self._keys) > 100:
                self._keys.clear()
            self._keys[url] = public
        return self._keys[url]


def check_subject(cert: x509.Certificate, host: str) -> None:
    """The certificate must name SNS (its global name or the host it came from) and be in date."""
    names = {a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)}
    try:
        names |= set(
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName
            )
        )
    except x509.ExtensionNotFound:
        pass
    if not {str(n).lower() for n in names} & {*CERT_SUBJECTS, host}:
        raise UntrustedMessage(f"signing certificate names {sorted(map(str, names))}, not Amazon SNS")
    now = utcnow()
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise UntrustedMessage("signing certificate is not valid now")


def verify(
    message: dict[str, str],
    certificates: CertificateCache,
    topics: Iterable[str],
    now: datetime | None = None,
) -> None:
    """Raise UntrustedMessage unless the message is signed by SNS, for an allowed topic, and recent."""
    if message["TopicArn"] not in set(topics):
        raise UntrustedMessage(f"topic {message['TopicArn']!r} is not in MAILFLOW_SES_SNS_TOPIC_ARNS")
    algorithm = HASHES.get(message["SignatureVersion"])
    if algorithm is None:
        raise UntrustedMessage(f"unknown SignatureVersion {message['SignatureVersion']!r}")
    _check_age(message["Timestamp"], now or utcnow())
    key = certificates.key(message["SigningCertURL"])
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, ValueError):
        raise UntrustedMessage("signature does not match") from None


def _check_age(stamp: str, now: datetime) -> None:
    try:
        sent = datetime.fromisoformat(stamp)  # Python 3.11 reads the trailing Z
    except ValueError:
        raise UntrustedMessage(f"bad Timestamp {stamp!r}") from None
    if sent.tzinfo is None or abs(now - sent) > MAX_AGE:
        raise UntrustedMessage(f"Timestamp {stamp} is outside the accepted window")
