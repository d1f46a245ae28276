"""Webhook targets: a well-formed http(s) URL whose every address is public (or the operator allows not)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOW_SETTING = "MAILFLOW_WEBHOOKS_ALLOW_PRIVATE"


class TargetRefused(ValueError):
    """The URL is malformed, does not resolve, or points at a private or loopback address."""


def check_url(url: str) -> tuple[str, int]:
    """The host and port of a well-formed http(s) URL; raises TargetRefused otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"{url!r} is not an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise TargetRefused(f"{url!r} carries credentials; use the signing secret instead")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"{url!r} has a bad port") from exc
    return parts.hostname, port


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host resolves to; raises TargetRefused when it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_target(url: str, allow_private: bool) -> list[str]:
    """Validate url and return its resolved addresses; refuse private ones unless allow_private."""
    host, port = check_url(url)
    addresses = resolve(host, port)
    if not allow_private:
        blocked = [str(a) for a in addresses if not is_public(a)]
        if blocked:
            raise TargetRefused(
                f"{url} resolves to a private or loopback address ({', '.join(blocked)}); "
                f"set {ALLOW_SETTING}=true to allow it"
            )
    return [str(a) for a in addresses]
