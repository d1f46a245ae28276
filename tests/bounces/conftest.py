import pytest

from tests.support.aws import MotoServer


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server):
    moto_server.reset()
    return moto_server
