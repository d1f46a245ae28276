"""Configuration: MAILFLOW_* values validated once; a bad value is one clear line and exit status 2."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings, read_environment
from tests.support.console import run_mailflow

BAD_VALUES = [
    ("EGRESS", "pigeon", "stdout, smtp, ses"),
    ("DATABASE_URL", "mysql://root@localhost/x", "sqlite:///PATH"),
    ("DATABASE_URL", "not a url", "sqlite:///PATH"),
    ("SMTPD_PORT", "abc", "port number"),
    ("WEB_PORT", "70000", "port number"),
    ("SMTP_PORT", "-1", "port number"),
    ("SMTP_SECURITY", "ssl3", "none, starttls, tls"),
    ("MAX_MESSAGE_SIZE", "ten", "positive whole number"),
    ("REDIS_URL", "localhost:6379", "redis"),
    ("PUBLIC_URL", "lists.example.org", "http"),
]


@pytest.mark.parametrize(("name", "value", "hint"), BAD_VALUES)
def test_bad_value_names_the_variable_and_what_is_accepted(name, value, hint):
    with pytest.raises(ConfigError) as error:
        load_settings({name: value})
    assert f"MAILFLOW_{name}" in str(error.value)
    assert hint in str(error.value)


def test_defaults_and_typed_values():
    settings = load_settings({"SMTPD_PORT": "2525", "EGRESS": "SMTP", "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.SMTPD_PORT == 2525
    assert settings.EGRESS == "smtp"
    assert settings.DATABASE_URL == "postgresql+psycopg://u@h/db"
    assert settings.WEB_PORT == 8000 and settings.MAX_MESSAGE_SIZE == 10 * 1024 * 1024


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("MAILFLOW_EGRESS=smtp\nMAILFLOW_SMTP_HOST=mail.example.org\nOTHER=1\n")
    raw = read_environment({"MAILFLOW_EGRESS": "stdout"}, dotenv)
    assert raw == {"EGRESS": "stdout", "SMTP_HOST": "mail.example.org"}


@pytest.mark.parametrize(("name", "value", "hint"), BAD_VALUES[:4])
def test_cli_stops_with_one_line_and_status_2(tmp_path, name, value, hint):
    result = run_mailflow({f"MAILFLOW_{name}": value, "MAILFLOW_INSTANCE_PATH": str(tmp_path)}, "smtpd")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"MAILFLOW_{name}" in lines[0] and "Traceback" not in result.stderr


def test_bad_value_in_dotenv_file_is_reported_too(tmp_path):
    (tmp_path / ".env").write_text("MAILFLOW_EGRESS=pigeon\n")
    result = run_mailflow({"MAILFLOW_INSTANCE_PATH": str(tmp_path)}, "worker", cwd=tmp_path)
    assert result.returncode == 2 and "MAILFLOW_EGRESS" in result.stderr
