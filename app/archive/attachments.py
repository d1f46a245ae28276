"""Attachments leave the archive only as downloads, under a file name that cannot go anywhere."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

from werkzeug.utils import secure_filename

from app.archive import mime

UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]')
MAX_NAME = 120


def safe_filename(name: str, index: int, content_type: str = "application/octet-stream") -> str:
    """The last path component, without control or reserved characters, never empty, '.' or '..'."""
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    text = UNSAFE_NAME.sub("_", text).strip(" .")
    if not text:
        extension = mimetypes.guess_extension(content_type or "") or ".bin"
        text = f"attachment-{index}{extension}"
    stem, dot, extension = text.rpartition(".")
    if len(text) > MAX_NAME:
        text = (
            (stem[: MAX_NAME - len(extension) - 1] + "." + extension)
            if dot and len(extension) < 10
            else text[:MAX_NAME]
        )
    return text


def content_disposition(filename: str) -> str:
    """`attachment` always, with an ASCII fallback name and the UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = secure_filename(filename) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def find(raw: bytes, index: int) -> mime.Leaf | None:
    """The attachment with this number in the stored message, or None."""
    for leaf in mime.leaves(mime.parse(raw)):
        if leaf.index == index and leaf.is_attachment:
            return leaf
    return None
