"""The CLI tests run `mailflow` (app.cli.main, in a process of its own: tests/support/console.py) on the test database."""

import pytest

from tests.support.console import Console


@pytest.fixture
def console(app, settings) -> Console:
    return Console(settings)
