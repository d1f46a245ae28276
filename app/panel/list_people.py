"""Who runs a list: its owners and moderators by address, for the list's overview."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ListRole, MailingList, Role, User


def people_of(mlist: MailingList) -> dict[str, list[str]]:
    """Active users' addresses by role ("owner", "moderator"), each sorted."""
    rows = db.session.execute(
        select(ListRole.role, User.email)
        .join(User, User.id == ListRole.user_id)
        .where(ListRole.list_id == mlist.id, User.active.is_(True))
        .order_by(User.email)
    ).all()
    people: dict[str, list[str]] = {Role.OWNER.value: [], Role.MODERATOR.value: []}
    for role, email in rows:
        people.setdefault(role, []).append(email)
    return people
