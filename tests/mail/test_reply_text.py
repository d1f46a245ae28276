"""The first line a person typed in a reply, however the mail client wrapped it; and the words in it."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from app.mail.reply_text import first_typed_line, strip_reply_prefixes
from app.mailcommands.staff_words import StaffCommand, Word, read_command, read_line


def mail(body: str, subtype: str = "plain", cte: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "mo@example.org", "team-confirm+mabc@example.org", "Re: x"
    msg.set_content(body, subtype=subtype, cte=cte)
    return msg.as_bytes(policy=SMTP)


@pytest.mark.parametrize(
    "body, subtype, expected",
    [
        ("approve\n\nOn Mon, 30 Nov 2026 Team <t@example.org> wrote:\n> held\n", "plain", "approve"),
        ("> On 30 Nov 2026, at 09:12, Team wrote:\n> held\n\nDiscard.\n-- \nMo\n", "plain", "Discard."),
        (
            "\u200b\u00a0reject  Not here\n________________\nFrom: Team <t@example.org>\n",
            "plain",
            "reject Not here",
        ),
        ("-----Original Message-----\nFrom: Team\napprove\n", "plain", ""),
        ("<div>ban</div><blockquote>approve</blockquote>", "html", "ban"),
        ("<blockquote>approve</blockquote><div>discard</div>", "html", "discard"),
        ("<p><br></p><hr><div id='divRplyFwdMsg'>approve</div>", "html", ""),
        ("<style>p{}</style><div class='gmail_quote'>approve</div>", "html", ""),
    ],
)
def test_first_typed_line(body, subtype, expected):
    assert first_typed_line(mail(body, subtype, "quoted-printable")) == expected


def test_stacked_prefixes_are_stripped():
    assert strip_reply_prefixes("Re: Re: AW: Fwd: approve") == "approve"
    assert strip_reply_prefixes("RE[2]: SV: reject spam") == "reject spam"
    assert strip_reply_prefixes("Reply soon") == "Reply soon"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Approve!", StaffCommand(Word.APPROVE)),
        ("approve always", StaffCommand(Word.APPROVE_ALWAYS)),
        ("APPROVE, always.", StaffCommand(Word.APPROVE_ALWAYS)),
        ("reject Off topic here", StaffCommand(Word.REJECT, "Off topic here")),
        ("deny", StaffCommand(Word.REJECT, "")),
        ("ban", StaffCommand(Word.BAN)),
        ("approved by me", None),
        ("", None),
    ],
)
def test_words(line, expected):
    assert read_line(line) == expected


def test_the_subject_counts_only_when_the_body_has_no_command():
    assert read_command(mail("Thanks!\n"), "Re: discard") == StaffCommand(Word.DISCARD)
    assert read_command(mail("approve\n"), "Re: discard") == StaffCommand(Word.APPROVE)
    assert read_command(mail(""), "Re: [Team] Held for moderation") is None


def test_a_list_tag_in_the_subject_is_never_a_word():
    assert read_command(mail(""), "Re: [Approve] Held for moderation: hi") is None
