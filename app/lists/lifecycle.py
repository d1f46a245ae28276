"""Creating and deleting a list, shared by `mailflow lists create|delete` and the panel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.list_addresses import SUFFIXES
from app.models import MailingList, User
from app.models.audit import Actor, record_by


def create_list(address: str, name: str = "") -> MailingList:
    """Add a list at address (the caller commits); raises ValueError saying what is wrong."""
    try:
        normalised = normalise_address(address)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None
    local, _, domain = normalised.rpartition("@")
    if "+" in local or local.rpartition("-")[2] in SUFFIXES:
        raise ValueError(f"{normalised}: a list's local part may not contain '+' or end in a role suffix")
    if db.session.scalar(
        select(MailingList).where(MailingList.local_part == local, MailingList.domain == domain)
    ):
        raise ValueError(f"the list {normalised} already exists")
    mlist = MailingList(local_part=local, domain=domain, display_name=name or local)
    db.session.add(mlist)
    return mlist


def owners_for(emails: Iterable[str]) -> list[User]:
    """The panel users who are to own a new list; ValueError naming the first address with no user."""
    users = []
    for email in emails:
        try:
            address = normalise_address(email)
        except InvalidAddress as exc:
            raise ValueError(str(exc)) from None
        user = db.session.scalar(select(User).where(User.email == address))
        if user is None:
            raise ValueError(
                f"no panel user {address}: create one first with `mailflow users create {address}`"
            )
        users.append(user)
    return users


def delete_list(mlist: MailingList, actor: Actor) -> str:
    """Delete the list with its members, posts and roles (the database cascades); returns its address."""
    address = mlist.address
    record_by(actor, "list.delete", "list", mlist.id, mlist.id, address=address)
    db.session.flush()
    # Core delete: the database cascades to members and posts without loading them.
    db.session.execute(delete(MailingList).where(MailingList.id == mlist.id))
    db.session.commit()
    return address
