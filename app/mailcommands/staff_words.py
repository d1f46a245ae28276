"""The words a moderator answers a notice with: first typed line of the reply, else its subject."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.mail.reply_text import first_typed_line, strip_reply_prefixes
from app.models import ItemKind

TRIM = ".,;:!?*_\"'()"  # not [ ]: a subject's "[List]" tag is never a word


class Word(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_ALWAYS = "approve always"
    REJECT = "reject"
    DISCARD = "discard"
    BAN = "ban"


ALIASES = {"approve": Word.APPROVE, "reject": Word.REJECT, "deny": Word.REJECT, "discard": Word.DISCARD}
ALIASES["ban"] = Word.BAN
ALLOWED = {
    ItemKind.POST: frozenset(Word),
    ItemKind.REQUEST: frozenset({Word.APPROVE, Word.REJECT, Word.DISCARD}),
}


@dataclass(frozen=True)
class StaffCommand:
    """A moderator's answer: the word, and for reject the rest of the line (the reason)."""

    word: Word
    reason: str = ""


def read_line(line: str) -> StaffCommand | None:
    """The command a line starts with, or None."""
    words = line.split()
    if not words:
        return None
    word = ALIASES.get(words[0].lower().strip(TRIM))
    if word is Word.APPROVE and len(words) > 1 and words[1].lower().strip(TRIM) == "always":
        return StaffCommand(Word.APPROVE_ALWAYS)
    if word is Word.REJECT:
        return StaffCommand(word, line.strip().split(None, 1)[1].strip() if len(words) > 1 else "")
    return StaffCommand(word) if word is not None else None


def read_command(raw: bytes, subject: str) -> StaffCommand | None:
    """The first typed body line's command; else the subject's, after its Re:/AW:/Fwd: prefixes."""
    return read_line(first_typed_line(raw)) or read_line(strip_reply_prefixes(subject))
