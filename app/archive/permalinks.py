"""Permalinks derived from the message, never from a row number, so they survive a rebuild or a move."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from app.mail.tokens import public_url
from app.models import MailingList

MAX_KEY = 200
URL_SAFE = "@!$&'()*+,;=:-._~"  # left as they are in a path segment; everything else is percent-encoded
PLAIN_ID = re.compile(r"[!-~]+")  # printable ASCII, no space
ANGLED = re.compile(r"<([^<>\s]{1,998})>")


def normalise_message_id(value: str | None) -> str:
    """The Message-ID without angle brackets (the first <...> in the field, else the field itself), or ""."""
    if not value:
        return ""
    found = ANGLED.search(value)
    text = found.group(1) if found else "".join(value.split()).strip("<>")
    return text.replace("\x00", "")[:998]


def key_for(message_id: str) -> str:
    """The permalink segment: the Message-ID itself when it is short and plain, else a hash of it."""
    plain = (
        0 < len(message_id) <= MAX_KEY
        and PLAIN_ID.fullmatch(message_id) is not None
        and not any(c in message_id for c in '/\\"<>')
        and message_id not in (".", "..")
    )
    if plain:
        return message_id
    return "h-" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:40]


def duplicate_key(key: str, sha256: str) -> str:
    """The key of a second, different message with the same Message-ID: still derived from the message."""
    return f"{key[: MAX_KEY - 13]}-{sha256[:12]}"


def archive_url(mlist: MailingList) -> str:
    """The list's archive: PUBLIC_URL/archive/LIST (the List-Archive URL)."""
    return public_url(f"/archive/{quote(mlist.address, safe='@')}")


def permalink(mlist: MailingList, key: str) -> str:
    """The page of one archived message, under the List-Archive URL."""
    return f"{archive_url(mlist)}/m/{quote(key, safe=URL_SAFE)}"
