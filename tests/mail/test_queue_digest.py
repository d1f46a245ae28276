"""Issue 16: what a queue row reads from a message without parsing it whole: attachments and the body's start."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from app.mail.attachment_list import Attachment, attachments
from app.mail.firsttext import first_text


def _message(html_only: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "ann@example.net"
    msg["Subject"] = "files"
    if html_only:
        msg.set_content("<p>Gr\u00fc\u00dfe <b>aus</b> Bern</p>", subtype="html", cte="quoted-printable")
    else:
        msg.set_content("Caf\u00e9 au lait\n", cte="base64")
        msg.add_alternative("<p>ignored</p>", subtype="html")
    msg.add_attachment(bytes(range(256)) * 10, maintype="image", subtype="png", filename="chart.png")
    msg.add_attachment(b"x", maintype="application", subtype="octet-stream")
    return msg.as_bytes(policy=SMTP)


def test_attachments_have_their_decoded_size_and_the_bodies_are_not_listed():
    assert attachments(_message()) == [
        Attachment("chart.png", "image/png", 2560),
        Attachment("(no name)", "application/octet-stream", 1),
    ]


def test_the_first_text_part_is_decoded_from_its_transfer_encoding_and_charset():
    assert first_text(_message()) == ("text/plain", "Caf\u00e9 au lait\n")
    content_type, text = first_text(_message(html_only=True))
    assert content_type == "text/html" and "Gr\u00fc\u00dfe <b>aus</b> Bern" in text


def test_a_message_without_structure_gives_nothing_rather_than_failing():
    assert attachments(b"garbage without headers") == []
    assert first_text(b"\r\n") == ("text/plain", "")
