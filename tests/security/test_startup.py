"""Issue 12 items 14, 16, 17, 18: what start-up refuses, redacts and creates privately."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from app import create_app
from app.config import ConfigError
from tests.support.console import run_mailflow

SECRET = "hunter2-s3cret"


# item 17 ------------------------------------------------------------------------------------------------
MALFORMED = [
    ("DATABASE_URL", f"postgresql://bob:{SECRET}@db.example:port/x"),
    ("DATABASE_URL", f"postgres://bob:{SECRET}@db.example/x"),
    ("DATABASE_URL", f"postgresql:/bob:{SECRET}@db.example/x"),
    ("REDIS_URL", f"redis://:{SECRET}@cache.example:six/0"),
    ("REDIS_URL", f"cache.example:{SECRET}@6379"),
    ("REDIS_URL", f"redis:/:{SECRET}@cache.example"),
]


@pytest.mark.parametrize(("name", "value"), MALFORMED)
def test_a_malformed_url_is_one_line_without_its_password(tmp_path, name, value):
    result = run_mailflow({f"MAILFLOW_{name}": value, "MAILFLOW_INSTANCE_PATH": str(tmp_path)}, "worker")
    assert result.returncode == 2, result.stderr
    assert f"MAILFLOW_{name}" in result.stderr and "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_log_lines_are_redacted(settings, caplog):
    create_app(settings)
    with caplog.at_level(logging.INFO):
        logging.getLogger("app.anything").warning(
            "cannot reach %s", f"redis://:{SECRET}@cache.example:6379/0"
        )
        try:
            raise ValueError(f"bad postgresql+psycopg://bob:{SECRET}@db/x")
        except ValueError:
            logging.getLogger("app.anything").exception("failed")
    text = caplog.text
    assert "cache.example" in text and "failed" in text and "ValueError" in text
    assert SECRET not in text


# item 18 ------------------------------------------------------------------------------------------------
CLEARTEXT = {
    "SMTP": {
        "MAILFLOW_EGRESS": "smtp",
        "MAILFLOW_SMTP_HOST": "mail.example.org",
        "MAILFLOW_SMTP_PASSWORD": SECRET,
    },
    "IMAP": {
        "MAILFLOW_IMAP_HOST": "imap.example.org",
        "MAILFLOW_IMAP_USERNAME": "lists",
        "MAILFLOW_IMAP_PASSWORD": SECRET,
    },
}


@pytest.mark.parametrize("kind", sorted(CLEARTEXT))
def test_a_password_in_clear_to_a_remote_host_stops_start_up(tmp_path, kind):
    env = {**CLEARTEXT[kind], "MAILFLOW_INSTANCE_PATH": str(tmp_path)}
    result = run_mailflow(env, "smtpd")
    assert result.returncode == 2
    assert f"MAILFLOW_{kind}_SECURITY=none" in result.stderr
    assert "MAILFLOW_ALLOW_CLEARTEXT_PASSWORDS=true" in result.stderr
    assert SECRET not in result.stderr


@pytest.mark.parametrize("kind", sorted(CLEARTEXT))
def test_cleartext_is_allowed_to_loopback_tls_or_with_the_explicit_setting(settings, kind):
    raw = {k.removeprefix("MAILFLOW_"): v for k, v in CLEARTEXT[kind].items()}
    with pytest.raises(ConfigError):
        create_app({**settings, **raw})
    create_app({**settings, **raw, "ALLOW_CLEARTEXT_PASSWORDS": "true"})
    create_app({**settings, **raw, f"{kind}_SECURITY": "starttls"})
    create_app({**settings, **raw, f"{kind}_HOST": "127.0.0.1"})
    create_app({**settings, **raw, f"{kind}_HOST": "::1"})


# item 16 ------------------------------------------------------------------------------------------------
def _login_without_csrf(app) -> int:
    return app.test_client().post("/login", data={"email": "a@example.org", "password": "x"}).status_code


def test_an_empty_csrf_variable_leaves_csrf_on(settings, monkeypatch):
    monkeypatch.setenv("MAILFLOW_WTF_CSRF_ENABLED", "")
    app = create_app(settings)
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert _login_without_csrf(app) == 400


def test_csrf_off_needs_an_explicit_false_and_testing(settings, monkeypatch):
    production = {k: v for k, v in settings.items() if k != "TESTING"}
    monkeypatch.setenv("MAILFLOW_WTF_CSRF_ENABLED", "false")
    with pytest.raises(ConfigError, match="only allowed in tests"):
        create_app(production)
    monkeypatch.setenv("MAILFLOW_TESTING", "")
    with pytest.raises(ConfigError, match="only allowed in tests"):
        create_app(production)
    monkeypatch.setenv("MAILFLOW_TESTING", "true")
    assert create_app(production).config["WTF_CSRF_ENABLED"] is False


# item 14 ------------------------------------------------------------------------------------------------
def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_database_and_secret_key_are_private_from_the_start(tmp_path):
    instance = tmp_path / "instance"
    old = os.umask(0o022)
    try:
        result = run_mailflow({"MAILFLOW_INSTANCE_PATH": str(instance)}, "db", "upgrade")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance / "mailflow.db") == 0o600
    assert "others on this machine can read it" not in result.stderr
    assert [p.name for p in instance.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


def test_start_up_warns_when_they_are_wider(tmp_path):
    instance = tmp_path / "instance"
    run_mailflow({"MAILFLOW_INSTANCE_PATH": str(instance)}, "db", "upgrade")
    instance.chmod(0o755)
    (instance / "mailflow.db").chmod(0o644)
    (instance / "secret_key").chmod(0o644)
    result = run_mailflow({"MAILFLOW_INSTANCE_PATH": str(instance)}, "db", "current")
    warnings = [line for line in result.stderr.splitlines() if "others on this machine can read it" in line]
    assert len(warnings) == 3, result.stderr
    assert any("chmod 700" in line for line in warnings) and any("chmod 600" in line for line in warnings)


@pytest.mark.parametrize(
    ("name", "value"), [("SMTPD_PORT", "²"), ("MAX_MESSAGE_SIZE", "²²"), ("SMTP_TIMEOUT", "¹")]
)
def test_non_ascii_digits_in_numbers_are_a_configuration_error(settings, name, value):
    with pytest.raises(ConfigError, match=f"MAILFLOW_{name}"):
        create_app({**settings, name: value})
