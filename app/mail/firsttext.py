"""The start of a message's readable body (its first text/plain, else text/html part), cheaply, for snippets.

Reads the MIME structure by byte offsets (app/mail/mimescan.py) and decodes only the first bytes of one part,
so a queue of many messages costs no full parse of any of them.
"""

from __future__ import annotations

import base64
import binascii
import quopri

from app.mail.mimescan import Part, scan

TEXT_TYPES = ("text/plain", "text/html")
ENCODED_BYTES = 8 * 1024  # enough encoded body for a one-line snippet


def first_text(raw: bytes, tree: Part | None = None) -> tuple[str, str]:
    """(content type, decoded start of the body): the first text/plain part, else the first text/html one.

    tree is scan(raw) when the caller has it already.
    """
    leaves = [p for p in (tree or scan(raw)).walk() if not p.children and p.content_type in TEXT_TYPES]
    leaves = [
        p
        for p in leaves
        if not str(p.headers.get("Content-Disposition", "")).lower().startswith("attachment")
    ]
    for wanted in TEXT_TYPES:
        for part in leaves:
            if part.content_type == wanted:
                return wanted, _decoded(raw, part)
    return "", ""


def _decoded(raw: bytes, part: Part) -> str:
    body = raw[part.body_start : min(part.end, part.body_start + ENCODED_BYTES)]
    if part.cte == "base64":
        letters = b"".join(body.split())
        body = _b64(letters[: len(letters) // 4 * 4])
    elif part.cte == "quoted-printable":
        body = quopri.decodestring(body)
    charset = part.headers.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, "replace")
    except LookupError:  # an unknown charset: show what UTF-8 makes of it
        return body.decode("utf-8", "replace")


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):
        return b""
