"""A change of address: confirmed at the new address, then every list moves at once; the old one is told."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.mail.tokens import TokenPurpose, public_url, sign_data
from app.membership.selfservice import SELF, subscriptions_of
from app.models import MailingList, Member, MemberStatus, PendingAction, SystemMailKind
from app.models.audit import record_by
from app.sysmail.notices import build_notice, send_notice

MOVED = "moved to another address"  # the reason left on a membership whose list the new address was on
CARRIED = (
    "status",
    "disabled_reason",
    "delivery_mode",
    "delivery_enabled",
    "vacation_until",
    "moderation_action",
)


class SameAddress(ValueError):
    """The new address is the one the subscriptions already have."""


@dataclass(frozen=True)
class Moved:
    moved: int  # memberships that now carry the new address
    merged: int  # lists the new address was already on: that membership stays, the old one ends


def move_url(old: str, new: str) -> str:
    """The signed, expiring link (mailed to the new address) that confirms the change."""
    return public_url(f"/manage/move/{sign_data(TokenPurpose.MOVE, [old, new])}")


def request_move(old: str, new: str) -> bool:
    """Mail the confirmation link to the new address; False when the old one has no subscription here."""
    if old == new:
        raise SameAddress("That is the address these subscriptions already use.")
    members = subscriptions_of(old)
    if not members:
        return False
    sender = members[0].mailing_list
    body = (
        f"Someone (hopefully you) asked to move the subscriptions of {old} to this address, {new}:\n\n"
        + "\n".join(f"  - {m.mailing_list.name} <{m.mailing_list.address}>" for m in members)
        + f"\n\nTo confirm, open this link (it works for seven days):\n\n    {move_url(old, new)}\n\n"
        "If you did not ask for this, ignore this message; nothing changes.\n"
    )
    notice = build_notice(sender, new, "Confirm your new address", body, auto="auto-replied")
    return send_notice(sender, notice, SystemMailKind.CONFIRMATION)


def _member(list_id: int, email: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.list_id == list_id, Member.email == email))


def _take_over(target: Member, source: Member) -> None:
    """The new address's old row (unsubscribed, pending) becomes the membership; the source row ends."""
    for attribute in CARRIED:
        setattr(target, attribute, getattr(source, attribute))
    target.name = target.name or source.name
    target.pending, target.confirm_token, target.token_expires_at = PendingAction.NONE, None, None


def move_address(old: str, new: str) -> Moved:
    """Move every membership of old to new at once; where new is already active, that membership stays."""
    if old == new:
        raise SameAddress("That is the address these subscriptions already use.")
    members = subscriptions_of(old)
    moved = merged = 0
    lists: list[MailingList] = []
    for member in members:
        lists.append(member.mailing_list)
        existing = _member(member.list_id, new)
        if existing is None:
            member.email = new
            moved += 1
            continue
        if existing.status == MemberStatus.ACTIVE:
            merged += 1
        else:
            _take_over(existing, member)
            moved += 1
        member.status, member.disabled_reason = MemberStatus.UNSUBSCRIBED, MOVED
    record_by(SELF, "member.address_change", "member", None, None, old=old, new=new, lists=len(members))
    db.session.commit()
    if lists:
        _tell_old_address(lists[0], old, new, lists)
    return Moved(moved, merged)


def _tell_old_address(sender: MailingList, old: str, new: str, lists: list[MailingList]) -> None:
    body = (
        f"The subscriptions of {old} have moved to {new}, confirmed from that address:\n\n"
        + "\n".join(f"  - {m.name} <{m.address}>" for m in lists)
        + "\n\nThis address gets no more mail from these lists. If you did not ask for this, write to the "
        f"list owner at {sender.role_address('owner')}.\n"
    )
    send_notice(sender, build_notice(sender, old, "Your subscriptions moved", body, auto="auto-generated"))
