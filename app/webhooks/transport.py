"""One POST to a checked address: the connection goes to the IP that passed the check (no second DNS
lookup an attacker could answer differently), and redirects are not followed (their target is unchecked)."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit


def post_pinned(url: str, addresses: list[str], body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST body to url over a connection to the first of addresses that answers; returns the status code."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=timeout)  # Host header and TLS name stay the URL's

    def connect_to_checked_address(target: tuple[str, int], *args: object) -> socket.socket:
        error: OSError = OSError(f"no address to connect to for {host}")
        for address in addresses:
            try:
                return socket.create_connection((address, target[1]), timeout)
            except OSError as exc:
                error = exc
        raise error

    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
