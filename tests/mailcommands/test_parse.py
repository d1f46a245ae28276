"""Finding email commands in subjects and body lines."""

from __future__ import annotations

from app.mailcommands.parse import Command, find_commands
from tests.support.factories import message


def commands(subject: str, body: str = "\n") -> tuple[list[Command], list[str]]:
    found = find_commands(subject, message(subject=subject, body=body))
    return found.found, found.ignored


def test_subject_command_with_reply_prefixes():
    assert commands("Re: AW: Subscribe")[0] == [Command.SUBSCRIBE]
    assert commands("please add me")[0] == []  # unknown subject words are not complained about


def test_body_lines_until_end_or_a_quote():
    found, ignored = commands("", "join\nwhat is this\nhelp\nend\nunsubscribe\n")
    assert found == [Command.SUBSCRIBE, Command.HELP] and ignored == ["what is this"]
    assert commands("", "> unsubscribe\nsubscribe\n")[0] == []


def test_repeats_are_dropped_and_only_the_first_lines_count():
    assert commands("subscribe", "subscribe\n")[0] == [Command.SUBSCRIBE]
    assert commands("", "blah\n" * 10 + "unsubscribe\n")[0] == []


def test_a_message_without_a_text_part_has_only_its_subject():
    raw = b"Subject: help\r\nContent-Type: image/png\r\n\r\nxxxx\r\n"
    assert find_commands("help", raw).found == [Command.HELP]
