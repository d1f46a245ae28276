"""Who runs a list: the one query for its active staff, and granting and revoking roles."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from app.extensions import db
from app.models import ListRole, MailingList, Role, User
from app.models.audit import Actor, record_by

STAFF = (Role.OWNER, Role.MODERATOR)


def _active_staff_query(list_id: int, roles: Iterable[Role]):
    return (
        select(User.email)
        .join(ListRole, ListRole.user_id == User.id)
        .where(ListRole.list_id == list_id, ListRole.role.in_(tuple(roles)), User.active.is_(True))
    )


def active_staff(list_id: int, roles: Iterable[Role] = STAFF) -> list[str]:
    """Addresses of the users holding one of roles on the list whose account is active, sorted."""
    return sorted({email.lower() for email in db.session.scalars(_active_staff_query(list_id, roles))})


def is_active_staff(list_id: int, address: str, roles: Iterable[Role] = STAFF) -> bool:
    """Whether address belongs to an active user holding one of roles on the list."""
    query = _active_staff_query(list_id, roles).where(func.lower(User.email) == address.lower())
    return db.session.scalar(query.limit(1)) is not None


def active_admins() -> list[str]:
    """Addresses of the active site administrators, sorted."""
    return sorted(
        db.session.scalars(select(User.email).where(User.is_admin.is_(True), User.active.is_(True)))
    )


def grant_role(user: User, mlist: MailingList, role: Role, actor: Actor) -> bool:
    """Give user the role on the list; False when they already had it. Commits."""
    exists = db.session.scalar(
        select(ListRole).where(
            ListRole.user_id == user.id, ListRole.list_id == mlist.id, ListRole.role == role
        )
    )
    if exists is not None:
        return False
    db.session.add(ListRole(user_id=user.id, list_id=mlist.id, role=role))
    record_by(actor, "user.role.add", "user", user.id, mlist.id, email=user.email, role=role.value)
    db.session.commit()
    return True


def revoke_role(user: User, mlist: MailingList, role: Role, actor: Actor) -> bool:
    """Take the role on the list from user; False when they did not have it. Commits."""
    held = db.session.scalar(
        select(ListRole).where(
            ListRole.user_id == user.id, ListRole.list_id == mlist.id, ListRole.role == role
        )
    )
    if held is None:
        return False
    db.session.delete(held)
    record_by(actor, "user.role.drop", "user", user.id, mlist.id, email=user.email, role=role.value)
    db.session.commit()
    return True


def roles_of(user: User) -> list[tuple[str, str]]:
    """(list address, role) pairs the user holds, by address."""
    rows = db.session.execute(
        select(MailingList, ListRole.role).join(ListRole).where(ListRole.user_id == user.id)
    ).all()
    return sorted((mlist.address, role) for mlist, role in rows)


def find_user(address: str) -> User | None:
    """The panel account with this address (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == address.strip().lower()))


def all_users() -> list[User]:
    """Every panel account, by address."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def active_staff_users(list_id: int, roles: Iterable[Role] = STAFF) -> list[User]:
    """The active users holding one of roles on the list, by address (each once)."""
    query = (
        select(User)
        .join(ListRole, ListRole.user_id == User.id)
        .where(ListRole.list_id == list_id, ListRole.role.in_(tuple(roles)), User.active.is_(True))
        .distinct()
    )
    return sorted(db.session.scalars(query), key=lambda user: user.email.lower())
