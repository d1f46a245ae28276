"""Find the email commands in a message to LIST-request@: the subject, then the first body lines."""

from __future__ import annotations

import email.policy
import enum
from dataclasses import dataclass, field
from email.parser import BytesParser

from app.mail.headersafety import MALFORMED_INPUT

MAX_LINES = 10  # body lines looked at, like Mailman's email commands
MAX_IGNORED = 3  # unknown lines noted (never quoted back: the sender may be forged)
REPLY_PREFIXES = ("re:", "aw:", "sv:", "fwd:", "fw:")


class Command(enum.StrEnum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    HELP = "help"
    SET = "set"  # set delivery digest|plain|regular|nomail, set vacation YYYY-MM-DD|off
    END = "end"


ALIASES = {
    "join": Command.SUBSCRIBE,
    "leave": Command.UNSUBSCRIBE,
    "stop": Command.END,
    "--": Command.END,
    "thanks": Command.END,
}


@dataclass
class Commands:
    """The commands found, in order and without repeats, and the lines not understood."""

    found: list[Command]
    ignored: list[str]
    arguments: dict[Command, list[str]] = field(default_factory=dict)  # the words after the first of each


def _word(line: str) -> Command | None:
    words = line.strip().split()
    if not words:
        return None
    first = words[0].lower()
    if first in Command.__members__.values():
        return Command(first)
    return ALIASES.get(first)


def _subject(subject: str) -> str:
    text = subject.strip()
    while text.lower().startswith(REPLY_PREFIXES):
        text = text.split(":", 1)[1].strip()
    return text


def body_lines(raw: bytes) -> list[str]:
    """The first non-empty lines of the message's first text/plain part (none when there is none)."""
    try:
        msg = BytesParser(policy=email.policy.default).parsebytes(raw)
        part = msg.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
    except MALFORMED_INPUT:  # an unreadable body has no commands; the subject may still have one
        return []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[:MAX_LINES]


def find_commands(subject: str, raw: bytes) -> Commands:
    """Subject first (its unknown words are ignored silently), then body lines until `end` or a quote."""
    result = Commands([], [])
    first = _word(_subject(subject))
    if first is not None and first is not Command.END:
        result.found.append(first)
        result.arguments[first] = _subject(subject).split()[1:]
    for line in body_lines(raw):
        if line.startswith(">"):
            break
        command = _word(line)
        if command is Command.END:
            break
        if command is None:
            if len(result.ignored) < MAX_IGNORED:
                result.ignored.append(line[:80])
            continue
        if command not in result.found:
            result.found.append(command)
            result.arguments[command] = line.split()[1:]
    return result
