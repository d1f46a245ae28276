"""What a person wrote at the top of a reply, however the mail client dressed it up.

Mail clients send HTML only (Outlook), quoted-printable, top-posted answers above the quote (Gmail,
Outlook), bottom-posted ones below an "On ... wrote:" line (Apple Mail), signatures, and subjects with
stacked prefixes ("Re: Re: AW:"). This module turns a reply into plain lines and finds the first line the
person typed; it needs no database.
"""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from app.mail.headersafety import MALFORMED_INPUT

REPLY_PREFIXES = re.compile(r"^\s*(?:(?:re|aw|sv|antw|wg|fwd?|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# "On Mon, 30 Nov 2026 at 09:12, Team <...> wrote:", "Am ... schrieb ...:", "Le ... a écrit :".
ATTRIBUTION = re.compile(
    r"^(on|am|le|el|op|il)\b.*(wrote|schrieb|écrit|escribió|schreef|scritto)\s*:?\s*$", re.I
)
# Where the quoted original starts in clients that do not mark it with ">".
QUOTE_STARTS = re.compile(
    r"^(-{2,}\s*(original message|ursprüngliche nachricht|forwarded message)\s*-{2,}|_{8,}|"
    r"(from|von|de)\s*:\s.+@.+)$",
    re.IGNORECASE,
)
SIGNATURE = ("-- ", "--")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None) | {0xA0: " "}
BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "pre", "blockquote"}
SKIPPED = {"style", "script", "head", "title"}
QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
MAX_PARSED = 200_000  # characters of a body looked at


class _HtmlLines(HTMLParser):
    """HTML to text lines; text inside <blockquote> or a client's quote container is marked with '>'."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote_depth = 0
        self.stack: list[bool] = []  # per open element: does it open a quote?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k: (v or "").lower() for k, v in attrs}
        quoting = tag == "blockquote" or any(c in names.get("class", "") for c in QUOTE_CLASSES)
        quoting = quoting or names.get("id", "") in QUOTE_IDS or tag == "hr"
        if tag in SKIPPED:
            self.skip += 1
        if tag in BLOCKS or tag == "hr":
            self.parts.append("\n")
        if tag in ("br", "hr", "img", "meta", "link", "input"):  # void elements: never closed
            if tag == "hr":
                self.quote_depth += 1  # Outlook: everything after the rule is the quoted original
            return
        self.stack.append(quoting)
        self.quote_depth += quoting

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        if tag in BLOCKS:
            self.parts.append("\n")
        if tag not in ("br", "hr", "img", "meta", "link", "input") and self.stack:
            self.quote_depth -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split())
        if text:
            self.parts.append(("\n> " + text + "\n") if self.quote_depth else text + " ")


def html_lines(html: str) -> list[str]:
    """The lines of an HTML body as a reader sees them, quoted parts starting with '>'."""
    parser = _HtmlLines()
    parser.feed(html[:MAX_PARSED])
    parser.close()
    return [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]


def _body(msg: EmailMessage) -> tuple[str, str]:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", ""
    return part.get_content_subtype(), str(part.get_content())[:MAX_PARSED]


def body_lines(raw: bytes) -> list[str]:
    """The lines of a message's text (plain preferred, else HTML), decoded; [] when unreadable."""
    try:
        msg = BytesParser(policy=email.policy.default).parsebytes(raw)
        subtype, text = _body(msg)
    except MALFORMED_INPUT:
        return []
    lines = html_lines(text) if subtype == "html" else text.splitlines()
    return [line.translate(INVISIBLE).rstrip() for line in lines]


def typed_lines(raw: bytes) -> list[str]:
    """The non-empty lines the person typed above the quote, the attribution line and the signature."""
    typed: list[str] = []
    for line in body_lines(raw):
        text = line.strip()
        if line in SIGNATURE or QUOTE_STARTS.match(text):
            break
        if not text or text.startswith(">") or ATTRIBUTION.match(text):
            continue
        typed.append(" ".join(text.split()))
    return typed


def first_typed_line(raw: bytes) -> str:
    """The first line the person typed, or ''."""
    typed = typed_lines(raw)
    return typed[0] if typed else ""


def strip_reply_prefixes(subject: str) -> str:
    """A subject without its stacked Re:/AW:/Fwd: prefixes."""
    return REPLY_PREFIXES.sub("", " ".join(subject.split()), count=1)
