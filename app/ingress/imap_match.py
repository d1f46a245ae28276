"""Which lists a message fetched from a mailbox is for: envelope headers first, then To/Cc."""

from __future__ import annotations

import email.policy
import re
from email.parser import BytesHeaderParser

from app.ingress.headers import wire_text
from app.ingress.lookup import role_is_handled
from app.lists.lookup import resolve
from app.mail.headersafety import MALFORMED_INPUT

# Headers an MDA writes with the envelope recipient, in the order we trust them.
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To")
VISIBLE_HEADERS = ("To", "Cc")
ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")


def _list_addresses(candidates: list[str]) -> list[str]:
    found: list[str] = []
    for address in map(wire_text, candidates):
        hit = resolve(address)
        if hit is not None and role_is_handled(hit[1].role) and address not in found:
            found.append(address)
    return found


def _visible(headers, name: str) -> list[str]:
    addresses: list[str] = []
    for value in headers.get_all(name) or []:
        try:
            addresses += [a.addr_spec for a in getattr(value, "addresses", ())]
        except MALFORMED_INPUT:  # a malformed header is ignored, not fatal
            continue
    return addresses


def list_recipients(raw: bytes) -> list[str]:
    """List-family addresses this message was delivered for; empty when it is for no list we serve.

    The first envelope header occurrence that names a list wins (the topmost is the latest hop); without
    one, every list address in To and Cc counts.
    """
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    except MALFORMED_INPUT:
        return []
    for name in ENVELOPE_HEADERS:
        for value in headers.get_all(name) or []:
            found = _list_addresses(ADDRESS.findall(str(value)))
            if found:
                return found
    return _list_addresses([a for name in VISIBLE_HEADERS for a in _visible(headers, name)])


def return_path(raw: bytes) -> str:
    """The envelope sender an MDA recorded in Return-Path, or '' (also for the null sender <>)."""
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        match = ADDRESS.search(str(headers.get("Return-Path") or ""))
    except MALFORMED_INPUT:
        return ""
    return wire_text(match.group(0)) if match else ""
