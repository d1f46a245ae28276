"""What README.md says about the installed names holds: `gunicorn 'app:create_app()'` works from any
directory, and the distribution's version is what `mailflow --version` prints."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

from tests.support.console import run_mailflow
from tests.support.processes import ROOT


def test_gunicorn_factory_form_loads_the_app_outside_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update(
        MAILFLOW_INSTANCE_PATH=str(tmp_path), PYTHONPATH=str(ROOT)
    )  # PYTHONPATH stands for the installed package
    code = "from gunicorn.util import import_app; app = import_app('app:create_app()'); print(type(app).__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("Flask")


def test_version_names_the_distribution():
    result = run_mailflow({}, "--version")
    assert result.stdout.strip() == f"mailflow {version('mailflow-relay')}"
