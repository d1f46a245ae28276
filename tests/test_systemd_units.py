"""The example systemd units in docs/systemd: each restarts, runs a real `mailflow` command, and verifies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "docs" / "systemd"
INSTALLED = "/opt/mailflow/.venv/bin/mailflow"  # where the units expect the virtualenv (README.md)
SERVICES = sorted(UNITS.glob("*.service"))


def _service_section(unit: Path) -> dict[str, str]:
    """The [Service] keys of a unit (the last value of a repeated key wins, as systemd reads most keys)."""
    section, keys = "", {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "Service" and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            keys[key.strip()] = value.strip()
    return keys


def test_there_is_a_unit_for_every_long_running_process():
    commands = {_service_section(unit)["ExecStart"].split()[1] for unit in SERVICES}
    assert commands == {"smtpd", "web", "worker", "imap"}


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.name)
def test_each_unit_restarts_and_runs_a_mailflow_command(unit):
    service = _service_section(unit)
    assert service["Restart"] in {"always", "on-failure"}
    assert service["KillMode"] == "control-group"  # RQ's scheduler is a child of the worker
    program, *args = service["ExecStart"].split()
    assert program == INSTALLED
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{unit.name}: `mailflow {' '.join(args)}` does not run: {done.stderr}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path):
    """The units as an operator installs them, the virtualenv path pointed at this interpreter's."""
    mailflow = str(Path(sys.executable).parent / "mailflow")
    names = []
    for unit in sorted(UNITS.glob("mailflow*")):
        name = unit.name.replace("@.service", "@1.service")  # verify an instance of the template
        (tmp_path / name).write_text(unit.read_text().replace(INSTALLED, mailflow))
        names.append(f"./{name}")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True
    )
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "mailflow" in line]
    assert done.returncode == 0 and not complaints, complaints
