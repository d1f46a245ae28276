"""moto's server on a loopback port (SES, SNS), with fake credentials, reset between tests."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import boto3
import requests
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from tests.support.smtp import free_port

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._saved: dict[str, str | None] = {}

    def start(self) -> None:
        for key, value in FAKE_CREDENTIALS.items():
            self._saved[key] = os.environ.get(key)
            os.environ[key] = value
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def client(self, service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=self.url)

    def fetch_sns_certificate(self, url: str) -> bytes:
        """The certificate moto signed with, for its sns.<region>.amazonaws.com URL (tests only)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        parts = urlsplit(url)
        region = (parts.hostname or "").split(".")[1]
        return sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys[parts.path.rsplit("/", 1)[-1]]


@contextmanager
def serve_app(app):
    """The Flask app on a real loopback port (werkzeug), in a thread."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
