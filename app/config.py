"""Instance configuration: MAILFLOW_* environment variables (and a .env file), read once in create_app."""

from __future__ import annotations

import enum
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.instance_files import create_private_file, make_private_folder
from app.mail.addresses import domain_suffixes
from app.redaction import redact

PREFIX = "MAILFLOW_"


class Egress(enum.StrEnum):
    """MAILFLOW_EGRESS: the one sender backend in use."""

    STDOUT = "stdout"
    SMTP = "smtp"
    SES = "ses"


EGRESS_CHOICES = tuple(Egress)
SECURITY_CHOICES = ("none", "starttls", "tls")
IMAP_PROCESSED_CHOICES = ("move", "seen")
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable (never a password)."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


def _port(name: str, value: str) -> int:
    if not value.isdecimal() or not 0 < int(value) < 65536:
        raise ConfigError(f"{PREFIX}{name}={value!r} is not a port number (1-65535)")
    return int(value)


def _positive_int(name: str, value: str) -> int:
    if not value.isdecimal() or int(value) <= 0:
        raise ConfigError(f"{PREFIX}{name}={value!r} is not a positive whole number")
    return int(value)


def _non_negative_int(name: str, value: str) -> int:
    if not value.isdecimal():
        raise ConfigError(f"{PREFIX}{name}={value!r} is not a whole number (0 or more)")
    return int(value)


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value.lower() not in choices:
            raise ConfigError(f"{PREFIX}{name}={value!r} is not one of: {', '.join(choices)}")
        return value.lower()

    return parse


def _flag(name: str, value: str) -> bool:
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ConfigError(f"{PREFIX}{name}={value!r} is not true or false")


def _database_url(name: str, value: str) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    problem = "" if scheme in DATABASE_SCHEMES else "unknown scheme"
    if not problem:
        try:
            make_url(value).port  # noqa: B018  (parsing the port is the check)
        except (ArgumentError, ValueError) as exc:
            problem = type(exc).__name__
    if problem:
        raise ConfigError(
            f"{PREFIX}{name}={value!r} is not a database URL "
            f"(accepted: sqlite:///PATH, postgresql+psycopg://USER@HOST/DB)"
        )
    if scheme == "postgresql":
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _url(scheme_choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018  (a port that is not a number raises here, not later)
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in scheme_choices or not parts.netloc:
            raise ConfigError(
                f"{PREFIX}{name}={value!r} is not a URL ({' or '.join(scheme_choices)}://HOST[:PORT]...)"
            )
        return value.rstrip("/") if parts.scheme.startswith("http") else value

    return parse


def _dns_server(name: str, value: str) -> str:
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    if not host or (port and _port(name, port) is None):
        raise ConfigError(f"{PREFIX}{name}={value!r} is not a DNS server (IP[:PORT])")
    return value


def _boolean(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{PREFIX}{name}={value!r} is not true or false")
    return value.lower() in ("true", "1", "yes")


def _text(name: str, value: str) -> str:
    return value


def _domain_suffixes(name: str, value: str) -> str:
    """Comma-separated domain suffixes (local, home.arpa, corp.internal), stored lower-case without dots."""
    try:
        return ",".join(domain_suffixes(value))
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name}: {exc}") from None


@dataclass(frozen=True)
class Settings:
    """Validated instance settings; field names are the variable names without the prefix."""

    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    SECRET_KEY: str = ""
    PUBLIC_URL: str = "http://127.0.0.1:8000"
    EGRESS: Egress = Egress.STDOUT
    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 25
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_SECURITY: str = "none"
    SMTP_TIMEOUT: int = 30
    SMTP_CA_FILE: str = ""
    SMTP_CONNECTIONS: int = 10  # per worker, sending shares of a batch at once (app/egress/smtp_pool.py)
    SES_REGION: str = "us-east-1"
    SES_CONFIGURATION_SET: str = ""
    SES_ENDPOINT_URL: str = ""
    SES_MAX_SEND_RATE: int = 0  # copies per second over all workers; 0 = no limit
    SES_SNS_TOPIC_ARNS: str = ""  # comma-separated topics /webhooks/ses accepts
    SES_VERIFIED_DOMAINS: str = ""  # comma-separated author domains SES may send From (besides list domains)
    DKIM_DOMAIN: str = ""
    DKIM_SELECTOR: str = ""
    DKIM_PRIVATE_KEY_FILE: str = ""
    SMTP_RETRY_DAYS: int = 5
    DELIVERY_LEASE_SECONDS: int = 30  # renewed every 5 s by a heartbeat (app/pipeline/lease.py)
    BOUNCE_THRESHOLD: int = 5
    BOUNCE_WARNING_THRESHOLD: int = 3  # one notice to the member with a re-enable link; 0: none
    BOUNCE_RESET_DAYS: int = 7
    SMTPD_HOST: str = "127.0.0.1"
    SMTPD_PORT: int = 8025
    WEB_HOST: str = "127.0.0.1"
    WEB_PORT: int = 8000
    MAX_MESSAGE_SIZE: int = 10 * 1024 * 1024
    IMAP_HOST: str = ""
    IMAP_PORT: int = 143
    IMAP_USERNAME: str = ""
    IMAP_PASSWORD: str = ""
    IMAP_SECURITY: str = "none"
    IMAP_FOLDER: str = "INBOX"
    IMAP_POLL_SECONDS: int = 60
    IMAP_IDLE_SECONDS: int = 20 * 60  # RFC 2177: re-issue IDLE well before the server's 30-minute timeout
    IMAP_PROCESSED: str = "move"
    IMAP_PROCESSED_FOLDER: str = "Processed"
    IMAP_UNMATCHED_FOLDER: str = "unmatched"
    IMAP_BATCH_SIZE: int = 100
    IMAP_TLS_CA: str = ""
    SMTPD_TLS_CERT: str = ""
    SMTPD_TLS_KEY: str = ""
    SMTPD_MAX_RECIPIENTS: int = 100
    SMTPD_TIMEOUT: int = 300
    SMTPD_SHUTDOWN_SECONDS: int = 30
    SMTPD_PROCESSES: int = 0  # 0: one per CPU core, at most 4
    DELIVERY_BATCH_SIZE: int = 500
    RECONCILE_SECONDS: int = 30
    PROXY_HOPS: int = 0
    TRUSTED_HOSTS: str = ""  # comma-separated Host names the panel answers to (empty: any)
    INSTANCE_PATH: str = ""
    DNS_SERVER: str = ""  # IP[:PORT] for DMARC lookups; empty = the system resolver
    DNS_TIMEOUT: int = 5
    ALLOW_CLEARTEXT_PASSWORDS: bool = False  # a password over SMTP/IMAP security `none` to a remote host
    IMAP_OVERSIZED_FOLDER: str = "oversized"
    IMAP_BATCH_BYTES: int = 32 * 1024 * 1024
    ALLOWED_SPECIAL_DOMAINS: str = ""  # special-use suffixes addresses may use (local, home.arpa, ...)
    AUTHSERV_IDS: str = ""  # comma-separated authserv-ids whose Authentication-Results we trust (our MTA's)
    LOG_LEVEL: str = "info"  # debug, info, warning, error
    WEBHOOKS_ALLOW_PRIVATE: bool = False  # let webhooks reach private and loopback addresses
    METRICS_TOKEN: str = ""  # bearer token for /metrics from other hosts (empty: loopback only)
    METRICS_DIR: str = ""  # prometheus_client's multiprocess folder (empty: INSTANCE_PATH/metrics)
    LOG_FORMAT: str = "text"  # text or json (one JSON object a line, with the post id)
    READY_MAX_BACKLOG: int = 10000  # /readyz fails when more jobs than this wait in the queues


PARSERS: dict[str, Callable[[str, str], object]] = {
    "DATABASE_URL": _database_url,
    "REDIS_URL": _url(("redis", "rediss", "unix")),
    "PUBLIC_URL": _url(("http", "https")),
    "EGRESS": lambda name, value: Egress(_choice(EGRESS_CHOICES)(name, value)),
    "SMTP_PORT": _port,
    "SMTP_SECURITY": _choice(SECURITY_CHOICES),
    "SMTP_TIMEOUT": _positive_int,
    "SMTP_CONNECTIONS": _positive_int,
    "SES_ENDPOINT_URL": _url(("http", "https")),
    "SES_MAX_SEND_RATE": _non_negative_int,
    "SMTP_RETRY_DAYS": _positive_int,
    "DELIVERY_LEASE_SECONDS": _positive_int,
    "BOUNCE_THRESHOLD": _positive_int,
    "BOUNCE_WARNING_THRESHOLD": _non_negative_int,
    "BOUNCE_RESET_DAYS": _positive_int,
    "SMTPD_PORT": _port,
    "WEB_PORT": _port,
    "MAX_MESSAGE_SIZE": _positive_int,
    "IMAP_PORT": _port,
    "IMAP_SECURITY": _choice(SECURITY_CHOICES),
    "IMAP_POLL_SECONDS": _positive_int,
    "IMAP_IDLE_SECONDS": _positive_int,
    "IMAP_PROCESSED": _choice(IMAP_PROCESSED_CHOICES),
    "IMAP_BATCH_SIZE": _positive_int,
    "SMTPD_MAX_RECIPIENTS": _positive_int,
    "SMTPD_TIMEOUT": _positive_int,
    "SMTPD_SHUTDOWN_SECONDS": _positive_int,
    "SMTPD_PROCESSES": _non_negative_int,
    "DELIVERY_BATCH_SIZE": _positive_int,
    "RECONCILE_SECONDS": _positive_int,
    "PROXY_HOPS": _non_negative_int,
    "DNS_SERVER": _dns_server,
    "DNS_TIMEOUT": _positive_int,
    "ALLOW_CLEARTEXT_PASSWORDS": _flag,
    "IMAP_BATCH_BYTES": _positive_int,
    "ALLOWED_SPECIAL_DOMAINS": _domain_suffixes,
    "LOG_LEVEL": _choice(("debug", "info", "warning", "error")),
    "WEBHOOKS_ALLOW_PRIVATE": _boolean,
    "LOG_FORMAT": _choice(("text", "json")),
    "READY_MAX_BACKLOG": _positive_int,
}


def read_environment(environ: Mapping[str, str] | None = None, dotenv: str | os.PathLike = ".env") -> dict:
    """Return MAILFLOW_* values from the .env file, overridden by the real environment."""
    environ = os.environ if environ is None else environ
    merged = (
        {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if Path(dotenv).is_file() else {}
    )
    merged.update(environ)
    return {k[len(PREFIX) :]: v for k, v in merged.items() if k.startswith(PREFIX)}


def load_settings(raw: Mapping[str, object]) -> Settings:
    """Validate raw values (strings from the environment, or typed overrides) into Settings."""
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            continue
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            value = PARSERS.get(name, _text)(name, value)
        values[name] = value
    settings = Settings(**values)
    _check_dkim(settings)
    _check_cleartext_passwords(settings)
    return settings


def testing_flags(raw: Mapping[str, object]) -> dict[str, bool]:
    """TESTING, and WTF_CSRF_ENABLED=False only with an explicit false value while testing."""
    flags: dict[str, bool] = {}
    testing = _optional_flag("TESTING", raw.get("TESTING"))
    if testing is not None:
        flags["TESTING"] = testing
    csrf = _optional_flag("WTF_CSRF_ENABLED", raw.get("WTF_CSRF_ENABLED"))
    if csrf is False and not testing:
        raise ConfigError(
            f"{PREFIX}WTF_CSRF_ENABLED=false is only allowed in tests (CSRF protects every form)"
        )
    if csrf is False:
        flags["WTF_CSRF_ENABLED"] = False
    return flags


def _optional_flag(name: str, value: object) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip()
    return _flag(name, text) if text else None


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_cleartext_passwords(settings: Settings) -> None:
    """Refuse a password sent in clear (security `none`) to a host beyond this machine, unless allowed."""
    if settings.ALLOW_CLEARTEXT_PASSWORDS:
        return
    checks = [
        (
            "SMTP",
            settings.EGRESS == "smtp" and bool(settings.SMTP_PASSWORD),
            settings.SMTP_SECURITY,
            settings.SMTP_HOST,
        ),
        (
            "IMAP",
            bool(settings.IMAP_HOST and settings.IMAP_PASSWORD),
            settings.IMAP_SECURITY,
            settings.IMAP_HOST,
        ),
    ]
    for kind, has_password, security, host in checks:
        if has_password and security == "none" and not _is_loopback(host):
            raise ConfigError(
                f"{PREFIX}{kind}_SECURITY=none would send the {kind} password in clear to {host}: "
                f"set {PREFIX}{kind}_SECURITY=starttls or tls, "
                f"or {PREFIX}ALLOW_CLEARTEXT_PASSWORDS=true if the network path is trusted"
            )


def _check_dkim(settings: Settings) -> None:
    """DKIM signing needs all three settings or none."""
    parts = {
        "DKIM_DOMAIN": settings.DKIM_DOMAIN,
        "DKIM_SELECTOR": settings.DKIM_SELECTOR,
        "DKIM_PRIVATE_KEY_FILE": settings.DKIM_PRIVATE_KEY_FILE,
    }
    missing = [name for name, value in parts.items() if not value]
    if missing and len(missing) < len(parts):
        raise ConfigError(
            f"{PREFIX}{missing[0]} must be set too (DKIM signing needs domain, selector and key file)"
        )


# MAILFLOW_* names that are not settings but are read elsewhere (the test suite and its tools).
NOT_SETTINGS_PREFIXES = ("TEST", "SCREENSHOTS", "BENCH")
# Keys that sign cookies, links in mail and VERP tokens: shorter ones can be guessed offline.
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def unknown_variables(raw: Mapping[str, object]) -> list[str]:
    """One warning line per MAILFLOW_* variable that is no setting (a typo is otherwise silently ignored)."""
    from difflib import get_close_matches

    known = {f.name for f in fields(Settings)} | {"TESTING", "WTF_CSRF_ENABLED"}
    lines = []
    for name in sorted(set(raw) - known):
        if name.startswith(NOT_SETTINGS_PREFIXES):
            continue
        guess = get_close_matches(name, sorted(known), n=1)
        hint = f" (did you mean {PREFIX}{guess[0]}?)" if guess else ""
        lines.append(f"{PREFIX}{name} is not a MailFlow setting and is ignored{hint}")
    return lines


def check_secret_key(value: str) -> None:
    """Refuse a configured secret key that is too short to be secret (e.g. the README's literal `...`)."""
    if value and len(value.strip()) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{PREFIX}SECRET_KEY is {len(value.strip())} characters; use at least {MIN_SECRET_KEY_LENGTH} random "
            f"ones, e.g. the output of: {SECRET_KEY_COMMAND}"
        )


def instance_path(settings: Settings) -> Path:
    """The instance folder (SQLite database, generated secret key)."""
    path = Path(settings.INSTANCE_PATH or Path.cwd() / "instance").resolve()
    make_private_folder(path)
    return path


def secret_key(settings: Settings, folder: Path) -> str:
    """The configured secret key, or one generated once and kept in the instance folder."""
    if settings.SECRET_KEY:
        return settings.SECRET_KEY
    key_file = folder / "secret_key"
    create_private_file(key_file, secrets.token_urlsafe(48))
    return key_file.read_text().strip()
