"""Who may see which list: site admins see all, owners and moderators their own."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import ListRole, MailingList, Role


def visible_lists_query():
    """A select of the lists the current user has any role on (all of them for an admin)."""
    query = select(MailingList).order_by(MailingList.local_part, MailingList.domain)
    if current_user.is_admin:
        return query
    mine = select(ListRole.list_id).where(ListRole.user_id == current_user.id)
    return query.where(MailingList.id.in_(mine))


def roles_on(mlist: MailingList) -> set[str]:
    """The current user's roles on a list; a site admin counts as owner."""
    if current_user.is_admin:
        return {Role.OWNER, Role.MODERATOR}
    return set(db.session.scalars(
        select(ListRole.role).where(ListRole.user_id == current_user.id, ListRole.list_id == mlist.id)
    ))


def list_for(list_id: int, *allowed: Role) -> MailingList:
    """The list, or 404 when it does not exist or the user holds none of the allowed roles on it."""
    mlist = db.session.get(MailingList, list_id)
    if mlist is None or not roles_on(mlist) & set(allowed or (Role.OWNER, Role.MODERATOR)):
        abort(404)
    return mlist
