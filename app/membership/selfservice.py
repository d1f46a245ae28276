"""A person's own subscriptions on this instance, seen and changed by that person (the /manage pages).

The page proves the address (a signed link mailed to it); everything it changes goes through the same
member-settings registry and subscription functions as the panel, the CLI and the email commands.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Load, contains_eager, load_only

from app.bounces.reenable import can_reenable_self, reenable
from app.extensions import db
from app.mail.tokens import address_url
from app.membership.members import update_member
from app.membership.subscriptions import Result, request_subscription, unsubscribe
from app.models import MailingList, Member, MemberStatus, SubscriptionPolicy, SystemMailKind
from app.models.audit import Actor
from app.sysmail.notices import build_notice, send_notice

SELF = Actor("member")  # the audit's actor for a change made on the member's own page
OWN_KEYS = ("name", "delivery", "vacation_until")  # what a member may change about themself
SHOWN = (MemberStatus.ACTIVE, MemberStatus.DISABLED)
# What the page shows; other columns load when touched. Lists have ~40 columns: loading all of them for
# 50 subscriptions was a third of the page's time.
LIST_COLUMNS = (MailingList.id, MailingList.local_part, MailingList.domain, MailingList.display_name)
MEMBER_COLUMNS = (
    Member.id,
    Member.list_id,
    Member.email,
    Member.name,
    Member.status,
    Member.disabled_reason,
    Member.delivery_mode,
    Member.vacation_until,
)


class NotYours(LookupError):
    """The membership or list asked about is not one this address may act on from its page."""


def subscriptions_of(email: str) -> list[Member]:
    """Every active or disabled membership of the address, with its list, by list address (one query)."""
    query = (
        select(Member)
        .join(Member.mailing_list)
        .options(
            Load(Member).load_only(*MEMBER_COLUMNS),
            contains_eager(Member.mailing_list).load_only(*LIST_COLUMNS),
        )
        .where(Member.email == email, Member.status.in_(SHOWN))
        .order_by(MailingList.local_part, MailingList.domain)
    )
    return list(db.session.scalars(query))


def joinable_lists(email: str, members: list[Member]) -> list[MailingList]:
    """Open lists the address is not on: the page offers to join them."""
    mine = [m.list_id for m in members]
    query = (
        select(MailingList)
        .options(load_only(*LIST_COLUMNS))
        .where(MailingList.subscription_policy == SubscriptionPolicy.OPEN)
    )
    if mine:
        query = query.where(MailingList.id.not_in(mine))
    return list(db.session.scalars(query.order_by(MailingList.local_part, MailingList.domain)))


def own_membership(email: str, member_id: int | None) -> Member:
    """The membership with this id, if it belongs to the address; raises NotYours."""
    member = db.session.get(Member, member_id) if member_id is not None else None
    if member is None or member.email != email or member.status not in SHOWN:
        raise NotYours("That subscription is not one of this address's.")
    return member


def change_own(member: Member, raw: Mapping[str, str]) -> list[str]:
    """Change the member's own keys (name, delivery, vacation_until); raises SettingsError on a bad value."""
    return update_member(member, {key: raw[key] for key in OWN_KEYS if key in raw}, SELF)


def leave(member: Member) -> None:
    """The member leaves the list (the list's goodbye follows)."""
    unsubscribe(member)


def reenable_own(member: Member) -> bool:
    """Turn delivery back on for a member stopped for bounces; False when it was not stopped for bounces."""
    if not can_reenable_self(member):
        return False
    reenable(member)  # the signed link reached the address: that proves it takes mail again
    return True


def join_open_list(email: str, list_id: int | None) -> Result:
    """Join an open list from the page; raises NotYours for a list that is not open."""
    mlist = db.session.get(MailingList, list_id) if list_id is not None else None
    if mlist is None or mlist.subscription_policy != SubscriptionPolicy.OPEN:
        raise NotYours("Only lists open to anyone can be joined from this page.")
    result, _ = request_subscription(mlist, email)
    return result


def mail_manage_link(email: str) -> bool:
    """Mail the address a link to its page; nothing is sent to an address with no subscription here."""
    members = subscriptions_of(email)
    if not members:
        return False
    sender = members[0].mailing_list
    listing = "\n".join(f"  - {m.mailing_list.name} <{m.mailing_list.address}>" for m in members)
    body = (
        f"Someone (hopefully you) asked for a link to manage the subscriptions of {email}:\n\n{listing}\n\n"
        f"Open this link (it works for seven days):\n\n    {address_url(email)}\n\n"
        "If you did not ask for it, ignore this message; nothing changes.\n"
    )
    notice = build_notice(sender, email, "Your subscriptions", body, auto="auto-replied")
    return send_notice(sender, notice, SystemMailKind.CONFIRMATION)
