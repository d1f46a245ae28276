"""Webhook tests reach a receiver on loopback, so they allow private targets; jobs go to the test Redis."""

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings(settings, redis_url):
    settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    settings["REDIS_URL"] = redis_url  # emit's jobs wait in Redis until a test runs a worker
    return settings


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()
