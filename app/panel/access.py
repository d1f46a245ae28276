"""Who may see which list: site admins see all, owners and moderators their own."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.logcontext import set_post
from app.models import ListRole, MailingList, Post, PostStatus, Role

ANY_ROLE = (Role.OWNER, Role.MODERATOR)


def visible_lists_query():
    """A select of the lists the current user has any role on (all of them for an admin)."""
    query = select(MailingList).order_by(MailingList.local_part, MailingList.domain)
    if current_user.is_admin:
        return query
    return query.where(MailingList.id.in_(_my_list_ids()))


def _my_list_ids(*roles: Role):
    query = select(ListRole.list_id).where(ListRole.user_id == current_user.id)
    return query.where(ListRole.role.in_(roles)) if roles else query


def visible_list_ids(*roles: Role):
    """A select of list ids the current user holds one of roles on (any role when none given)."""
    if current_user.is_admin:
        return select(MailingList.id)
    return _my_list_ids(*roles)


def roles_on(mlist: MailingList) -> set[str]:
    """The current user's roles on a list; a site admin counts as owner."""
    if current_user.is_admin:
        return {Role.OWNER, Role.MODERATOR}
    return set(
        db.session.scalars(
            select(ListRole.role).where(ListRole.user_id == current_user.id, ListRole.list_id == mlist.id)
        )
    )


def list_for(list_id: int, *allowed: Role) -> MailingList:
    """The list, or 404 when it does not exist or the user holds none of the allowed roles on it."""
    mlist = db.session.get(MailingList, list_id)
    if mlist is None:
        abort(404)
    held = roles_on(mlist)
    if not held:
        abort(404)
    if not held & set(allowed or ANY_ROLE):
        # They may see the list (it is theirs to moderate): say why this page is not, rather than "not found".
        abort(
            403,
            description=f"You are a moderator of {mlist.address}, not an owner: members, settings, "
            "header & footer and filter rules are for its owners. Ask an owner or a site admin.",
        )
    return mlist


def post_for(post_id: int, *allowed: Role) -> Post:
    """The post, or 404 unless the user holds one of the allowed roles on its list."""
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    list_for(post.list_id, *allowed)
    set_post(post.id)
    return post


def require_admin() -> None:
    """403 for anyone but a site admin."""
    if not current_user.is_admin:
        abort(403)


def held_count_for_nav() -> int:
    """Held posts on the lists the user moderates, for the navigation badge."""
    if not current_user.is_authenticated:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.status == PostStatus.HELD, Post.list_id.in_(visible_list_ids()))
        )
        or 0
    )
