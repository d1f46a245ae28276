"""`set delivery digest|plain|regular|nomail` and `set vacation YYYY-MM-DD|off` by mail, for the sender's own
membership, through the member-settings registry like every other door."""

from __future__ import annotations

from app.lists.registry import SettingsError
from app.mail.tokens import manage_url
from app.membership.members import find_member, update_member
from app.models import MailingList, MemberStatus
from app.models.audit import Actor

BY_MAIL = Actor("email command")
DELIVERY_WORDS = {
    "digest": "mime_digest",
    "mime": "mime_digest",
    "mime_digest": "mime_digest",
    "plain": "plain_digest",
    "plain_digest": "plain_digest",
    "regular": "regular",
    "nomail": "nomail",
}
USAGE = (
    "Use 'set delivery digest', 'set delivery plain', 'set delivery regular' or 'set delivery nomail', "
    "or 'set vacation YYYY-MM-DD' (no mail before that day) or 'set vacation off'."
)


def _wanted(words: list[str]) -> dict[str, str] | None:
    """The member setting the words ask for, as registry input, or None when they are not a set command."""
    if len(words) != 2:
        return None
    what, value = words[0].lower(), words[1].lower()
    if what == "delivery" and value in DELIVERY_WORDS:
        return {"delivery": DELIVERY_WORDS[value]}
    if what == "vacation":
        return {"vacation_until": "" if value == "off" else value}
    return None


def set_reply(mlist: MailingList, sender: str, words: list[str]) -> tuple[str, str]:
    """Apply one set command to the sender's membership; (the reply's text, a summary for the post)."""
    raw = _wanted(words)
    if raw is None:
        return USAGE, "set: not understood"
    member = find_member(mlist, sender)
    if member is None or member.status not in (MemberStatus.ACTIVE, MemberStatus.DISABLED):
        return f"This address is not subscribed to {mlist.address}; nothing changed.", "set: not a member"
    try:
        update_member(member, raw, BY_MAIL)
    except SettingsError as exc:
        return f"Nothing changed: {exc.first}.\n{USAGE}", "set: bad value"
    shown = ", ".join(f"{key} is now {value or 'off'}" for key, value in raw.items())
    # The reply goes to the member's own address: a forged command is seen there and undone in one click.
    return (
        f"For {mlist.address}: {shown}.\nTo see or change all your settings, open {manage_url(member.id)}",
        f"set: {', '.join(raw)}",
    )
