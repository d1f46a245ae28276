"""Mailman 2.1's stored values as text and numbers: decoding its byte strings, translating its templates."""

from __future__ import annotations

import re
from typing import Any

from app.mail import templates

# Mailman 2.1's charset per language (Defaults.py add_language); anything else was UTF-8 in later 2.1s.
LANGUAGE_CHARSETS = {
    "en": "us-ascii",
    "el": "iso-8859-7",
    "ru": "koi8-r",
    "uk": "utf-8",
    "ja": "euc-jp",
    "ko": "euc-kr",
    "zh_cn": "gb2312",
    "zh_tw": "big5",
    "cs": "iso-8859-2",
    "hu": "iso-8859-2",
    "pl": "iso-8859-2",
    "sk": "iso-8859-2",
    "sl": "iso-8859-2",
    "hr": "iso-8859-2",
    "ro": "iso-8859-2",
    "lt": "iso-8859-13",
    "tr": "iso-8859-9",
    "he": "utf-8",
    "ar": "utf-8",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Longest first: a whole listinfo URL or list address before its parts.
TEMPLATE_PHRASES = (
    ("%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s", "{{ manage_url }}"),
    ("%(real_name)s@%(host_name)s", "{{ list_address }}"),
    ("%(list_name)s@%(host_name)s", "{{ list_address }}"),
    ("%(user_optionsurl)s", "{{ manage_url }}"),
    ("%(real_name)s", "{{ list_name }}"),
    ("%(list_name)s", "{{ list_name }}"),
    ("%(description)s", "{{ list_description }}"),
    ("%(user_address)s", "{{ member_email }}"),
    ("%(user_delivered_to)s", "{{ member_email }}"),
    ("%(user_name)s", "{{ member_name }}"),
    ("%(cgiext)s", ""),
)


class Decoder:
    """Turns Mailman 2.1 byte strings into text: ASCII, then UTF-8, then the list's charset, then Latin-1."""

    def __init__(self, language: Any) -> None:
        code = language.decode("ascii", "replace") if isinstance(language, bytes) else str(language or "en")
        self.charset = LANGUAGE_CHARSETS.get(code.lower(), "utf-8")

    def text(self, value: Any) -> str:
        """The value as text ('' for None)."""
        if value is None:
            return ""
        if not isinstance(value, bytes):
            return str(value)
        for charset in ("utf-8", self.charset, "latin-1"):
            try:
                return value.decode(charset)
            except (UnicodeDecodeError, LookupError):
                continue
        return value.decode("latin-1")

    def texts(self, values: Any) -> list[str]:
        """A list (or dict keys) of byte strings as a list of texts."""
        return [self.text(v) for v in (values or [])]


def translate_template(source: str, host_name: str, info: str) -> tuple[str, list[str]]:
    """A Mailman 2.1 header/footer in our template language, and the placeholders it could not translate."""
    source = source.replace("\r\n", "\n")
    literal = {"%(host_name)s": host_name, "%(info)s": info}
    pieces: list[str] = []
    lost: list[str] = []
    position = 0
    while position < len(source):
        found = _phrase_at(source, position, literal)
        if found is not None:
            pieces.append(found[1])
            position += len(found[0])
            continue
        match = PLACEHOLDER.match(source, position)
        if match:
            lost.append(match.group(0))
            position = match.end()
            continue
        pieces.append(_escape(source[position]))
        position += 1
    lines = "".join(pieces).strip("\n").split("\n")
    return "\n".join(line.rstrip() for line in lines), sorted(set(lost))


def _phrase_at(source: str, position: int, literal: dict[str, str]) -> tuple[str, str] | None:
    """The known placeholder phrase starting at position and what it becomes."""
    for phrase, replacement in TEMPLATE_PHRASES:
        if source.startswith(phrase, position):
            return phrase, replacement
    for phrase, text in literal.items():
        if source.startswith(phrase, position):
            return phrase, "".join(_escape(c) for c in text)
    return None


def _escape(char: str) -> str:
    """A literal character in our (Jinja) template: braces are printed, never parsed."""
    return "{{ '{' }}" if char == "{" else char


def template_problem(source: str) -> str | None:
    """Why the translated template cannot be saved (our sandbox's own check), or None."""
    return templates.template_error(source) if source else None
