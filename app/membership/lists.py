"""Creating a list, shared by `mailflow lists create` and the panel."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.list_addresses import SUFFIXES
from app.models import ListRole, MailingList, Role, User


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


def add_owner(mlist: MailingList, email: str) -> User:
    """Make the panel user with this address an owner of the list (the caller commits); ValueError if none."""
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        raise ValueError(f"no panel user {address}: create one first with `mailflow users create {address}`")
    db.session.flush()  # the new list needs its id
    exists = db.session.scalar(
        select(ListRole).where(
            ListRole.user_id == user.id, ListRole.list_id == mlist.id, ListRole.role == Role.OWNER
        )
    )
    if exists is None:
        db.session.add(ListRole(user_id=user.id, list_id=mlist.id, role=Role.OWNER))
    return user
