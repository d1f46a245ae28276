"""`set delivery ...` and `set vacation ...`: parsed from subject or body, applied through the registry."""

from __future__ import annotations

from datetime import date

import pytest

from app.mailcommands.parse import Command, find_commands
from app.mailcommands.settings import set_reply
from app.membership.members import find_member
from tests.support.factories import make_list, make_members


def test_the_words_after_set_are_kept():
    found = find_commands("", b"Content-Type: text/plain\r\n\r\nset delivery plain\r\nhelp\r\n")
    assert found.found == [Command.SET, Command.HELP]
    assert found.arguments[Command.SET] == ["delivery", "plain"]
    assert find_commands("Re: set vacation off", b"\r\n").arguments[Command.SET] == ["vacation", "off"]


@pytest.mark.parametrize(
    "words, mode",
    [
        ("delivery digest", "mime_digest"),
        ("delivery PLAIN", "plain_digest"),
        ("delivery nomail", "nomail"),
        ("delivery regular", "regular"),
    ],
)
def test_each_delivery_word(app, words, mode):
    mlist = make_list("team@example.org")
    make_members(mlist, "bob@example.net")
    text, summary = set_reply(mlist, "bob@example.net", words.split())
    assert find_member(mlist, "bob@example.net").delivery_mode == mode and summary == "set: delivery"


def test_vacation_bad_values_and_strangers(app):
    mlist = make_list("team@example.org")
    make_members(mlist, "bob@example.net")
    set_reply(mlist, "bob@example.net", ["vacation", "2030-01-02"])
    assert find_member(mlist, "bob@example.net").vacation_until == date(2030, 1, 2)
    set_reply(mlist, "bob@example.net", ["vacation", "off"])
    assert find_member(mlist, "bob@example.net").vacation_until is None
    text, summary = set_reply(mlist, "bob@example.net", ["vacation", "tomorrow"])
    assert summary == "set: bad value" and "vacation_until" in text
    assert set_reply(mlist, "eve@example.net", ["delivery", "nomail"])[1] == "set: not a member"
    assert set_reply(mlist, "bob@example.net", ["colour", "blue"])[1] == "set: not understood"
