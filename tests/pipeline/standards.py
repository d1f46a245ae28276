"""Check a delivered copy, header by header, against the standards every post must meet on the way out."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

from app.mail.rawmessage import RawMessage
from app.models import MailingList

ONCE = (
    "List-Id",
    "List-Help",
    "List-Subscribe",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Post",
    "List-Owner",
    "Precedence",
    "Message-ID",
)


def check_copy(data: bytes, mail_from: str, mlist: MailingList, original: bytes) -> None:
    """Raise AssertionError naming the first standard the copy misses."""
    # RFC 5321 3.9: the list's bounce address, VERP-tagged with the delivery's signed token.
    bounces = re.escape(mlist.role_address("bounces")).replace("@", r"\+[0-9a-z]+x[0-9a-f]{10}@")
    assert re.fullmatch(bounces, mail_from), mail_from
    head = RawMessage.parse(data)
    for name in ONCE:
        assert len(head.get_all(name)) == 1, f"{name} appears {len(head.get_all(name))} times"
    assert head.get("List-Id").endswith(f"<{mlist.list_id}>")
    assert head.get("List-Help") == f"<mailto:{mlist.role_address('request')}?subject=help>"
    assert re.fullmatch(
        r"<https://[^>]+/unsubscribe/[\w.-]+>, <mailto:" + re.escape(mlist.role_address("leave")) + ">",
        head.get("List-Unsubscribe"),
    ), head.get("List-Unsubscribe")
    assert head.get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    expected_post = "NO" if mlist.posting_policy == "announce" else f"<mailto:{mlist.address}>"
    assert head.get("List-Post") == expected_post
    assert head.get("List-Owner") == f"<mailto:{mlist.role_address('owner')}>"
    assert head.get("Precedence") == "list"
    markers = head.get_all("X-MailFlow-List")  # other lists' markers accumulate before ours
    assert markers[-1] == mlist.list_id and markers.count(mlist.list_id) == 1, markers
    source = RawMessage.parse(original)
    for name in ("Message-ID", "In-Reply-To", "References"):
        if (source.get(name) or "").strip():
            assert head.get(name) == source.get(name), name
    for _, field in head.fields:
        assert b"\x00" not in field
        assert all(line[:1] in (b" ", b"\t") for line in field.split(b"\r\n")[1:]), field[:80]
    parsed = message_from_bytes(data, policy=default)
    for name, value in parsed.items():  # every header readable; none decodes to a second line
        assert "\n" not in str(value) and "\r" not in str(value), name
