"""The CLI tests run the real console script against the test database."""

import pytest

from tests.support.console import Console


@pytest.fixture
def console(app, settings) -> Console:
    return Console(settings)
