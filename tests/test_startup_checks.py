"""Start-up checks through the real CLI: an unmigrated database, unreachable database or Redis, a typo in a
variable name, a short secret key. Each is one line saying what to do, and nothing starts."""

from __future__ import annotations

import pytest

from tests.support.console import run_mailflow
from tests.support.smtp import free_port

LONG_KEY = "k" * 40


@pytest.fixture
def fresh_env(tmp_path) -> dict[str, str]:
    """An instance whose SQLite database was never migrated."""
    return {
        "MAILFLOW_INSTANCE_PATH": str(tmp_path),
        "MAILFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.db'}",
        "MAILFLOW_SECRET_KEY": LONG_KEY,
        "MAILFLOW_SMTPD_PORT": str(free_port()),
    }


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [("smtpd",), ("worker", "--burst"), ("lists", "create", "a@example.org")])
def test_an_unmigrated_database_stops_every_command_with_what_to_do(fresh_env, command):
    env = {**fresh_env, "MAILFLOW_REDIS_URL": "redis://127.0.0.1:6379/5"}
    result = run_mailflow(env, *command)
    assert result.returncode == 1
    assert "run `mailflow db upgrade`" in _one_line(result)


def test_db_upgrade_itself_still_runs_and_then_commands_work(fresh_env):
    assert run_mailflow(fresh_env, "db", "upgrade").returncode == 0
    result = run_mailflow(fresh_env, "lists", "create", "a@example.org")
    assert result.returncode == 0, result.stderr


def test_unreachable_database_and_redis_are_one_line_each(fresh_env):
    bad_db = {
        **fresh_env,
        "MAILFLOW_DATABASE_URL": f"postgresql+psycopg://nobody:hunter2@127.0.0.1:{free_port()}/x",
    }
    line = _one_line(run_mailflow(bad_db, "worker", "--burst"))
    assert "cannot reach the database" in line and "MAILFLOW_DATABASE_URL" in line
    assert "hunter2" not in line  # the password is never printed
    assert run_mailflow(fresh_env, "db", "upgrade").returncode == 0
    bad_redis = {**fresh_env, "MAILFLOW_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = run_mailflow(bad_redis, "worker", "--burst")
    assert result.returncode == 1
    assert "cannot reach Redis" in _one_line(result) and "MAILFLOW_REDIS_URL" in result.stderr


def test_a_misspelt_variable_is_named_with_its_likely_meaning(fresh_env):
    assert run_mailflow(fresh_env, "db", "upgrade").returncode == 0
    result = run_mailflow({**fresh_env, "MAILFLOW_SMTP_SECURTY": "tls"}, "lists", "create", "b@example.org")
    assert result.returncode == 0
    assert "MAILFLOW_SMTP_SECURTY is not a MailFlow setting" in result.stderr
    assert "did you mean MAILFLOW_SMTP_SECURITY?" in result.stderr


@pytest.mark.parametrize("key", ["...", "short-but-not-empty"])
def test_a_short_secret_key_is_refused(fresh_env, key):
    result = run_mailflow({**fresh_env, "MAILFLOW_SECRET_KEY": key}, "smtpd")
    assert result.returncode == 2
    line = _one_line(result)
    assert "MAILFLOW_SECRET_KEY" in line and "at least 32" in line and "secrets.token_urlsafe" in line


def test_without_a_secret_key_one_is_generated_once(fresh_env, tmp_path):
    env = {k: v for k, v in fresh_env.items() if k != "MAILFLOW_SECRET_KEY"}
    assert run_mailflow(env, "db", "upgrade").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 32
    assert run_mailflow(env, "lists", "create", "c@example.org").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_version():
    result = run_mailflow({}, "--version")
    assert result.returncode == 0 and result.stdout.startswith("mailflow ")
