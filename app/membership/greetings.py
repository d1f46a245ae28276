"""Welcome and goodbye mail (the list's own templates) and invitations: mail to one member, via the outbox."""

from __future__ import annotations

from app.mail import templates
from app.mail.tokens import manage_url, public_url
from app.models import MailingList, Member, SystemMailKind
from app.pipeline.personalise import unsubscribe_url
from app.sysmail.notices import build_notice, send_notice


def member_values(mlist: MailingList, member: Member) -> dict[str, str]:
    """The variables of the list's templates, filled for one member (as delivery fills them)."""
    return {
        "list_name": mlist.name,
        "list_address": mlist.address,
        "list_description": mlist.description,
        "member_email": member.email,
        "member_name": " ".join(member.name.split()),
        "unsubscribe_url": unsubscribe_url(member.id),
        "manage_url": manage_url(member.id),
    }


def confirmation_links(mlist: MailingList, member: Member) -> tuple[str, str]:
    """The reply address and web link that confirm a pending action."""
    token = member.confirm_token or ""
    return mlist.role_address(f"confirm+{token}"), public_url(f"/confirm/{token}")


def _send_template(mlist: MailingList, member: Member, source: str, subject: str) -> bool:
    body = templates.render(source, member_values(mlist, member))
    if not body.strip():  # no template, or one that failed (logged): no mail rather than an empty one
        return False
    notice = build_notice(mlist, member.email, subject, body + "\n", auto="auto-generated")
    return send_notice(mlist, notice)


def send_welcome(member: Member) -> bool:
    """Mail the list's welcome text to a member who just joined; False when the list has none."""
    mlist = member.mailing_list
    return _send_template(mlist, member, mlist.welcome_template, f"Welcome to {mlist.name}")


def send_goodbye(member: Member) -> bool:
    """Mail the list's goodbye text to a member who just left; False when the list has none."""
    mlist = member.mailing_list
    return _send_template(mlist, member, mlist.goodbye_template, f"You have left {mlist.name}")


def send_invitation(member: Member) -> bool:
    """Mail an invitation with the link (and reply address) that makes the invitee a member."""
    mlist = member.mailing_list
    reply_address, link = confirmation_links(mlist, member)
    body = (
        f"You are invited to join {mlist.name} <{mlist.address}>.\n\n"
        f"To accept, open this link:\n\n    {link}\n\nor reply to this message (its address is "
        f"{reply_address}).\n\nIf you do not want to join, ignore this message: you will not be added.\n"
    )
    notice = build_notice(
        mlist,
        member.email,
        f"Invitation to join {mlist.name}",
        body,
        reply_to=reply_address,
        auto="auto-generated",
    )
    return send_notice(mlist, notice, SystemMailKind.CONFIRMATION)
