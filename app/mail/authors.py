"""Strict parsing of the author (From) of a post: one address, or nothing (CVE-2023-27043)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.headersafety import decode, encode

_ADDR = r"[^<>\s()\",;:\\\[\]@]+@[^<>\s()\",;:\\\[\]@]+"
_PHRASE = r"\"(?:[^\"\\\r\n]|\\.)*\"|[^\"<>()@,;:\\\[\]\r\n]+?"
NAME_ADDR = re.compile(rf"^\s*(?P<name>(?:{_PHRASE})?)\s*<(?P<addr>{_ADDR})>\s*$")
ADDR_SPEC = re.compile(rf"^\s*(?P<addr>{_ADDR})\s*(?:\((?P<comment>[^()\\\r\n]*)\))?\s*$")


@dataclass(frozen=True)
class Author:
    """A strictly parsed mailbox: display name (decoded, one line) and normalised address."""

    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header_value(self) -> str:
        """The mailbox rebuilt as a safe header value."""
        return f"{phrase(self.name)} <{self.address}>" if self.name else self.address


def parse_mailbox(value: str | None) -> Author | None:
    """One mailbox in the strict RFC 5322 shape, or None: never guesses as parseaddr does."""
    if not value:
        return None
    match = NAME_ADDR.match(value) or ADDR_SPEC.match(value)
    if match is None:
        return None
    try:
        address = normalise_address(match["addr"])
    except InvalidAddress:
        return None
    name = match.groupdict().get("name") or match.groupdict().get("comment") or ""
    name = name.strip()
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return Author(decode(name), address)


def phrase(text: str) -> str:
    """A display name made safe for a header: quoted, or RFC 2047-encoded when not ASCII."""
    text = decode(text)
    if not text.isascii():
        return encode(text, "From")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
