"""Who may do what through the API: a token acts with its user's roles; unseen lists answer 404."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.api.problems import ApiProblem
from app.extensions import db
from app.lists.lookup import find_list
from app.logcontext import set_post
from app.models import ListRole, MailingList, Post, Role, User

ANY_ROLE = (Role.OWNER, Role.MODERATOR)


def current_api_user() -> User:
    """The user whose token authenticated this request."""
    return g.api_user


def roles_on(user: User, list_id: int) -> set[str]:
    """The user's roles on a list; a site admin counts as owner and moderator."""
    if user.is_admin:
        return {Role.OWNER, Role.MODERATOR}
    query = select(ListRole.role).where(ListRole.user_id == user.id, ListRole.list_id == list_id)
    return set(db.session.scalars(query))


def list_for(address: str, *allowed: Role) -> MailingList:
    """The list at address if the user holds one of the allowed roles on it; 404 otherwise (no probing)."""
    mlist = find_list(address)
    if mlist is None or not roles_on(current_api_user(), mlist.id) & set(allowed or ANY_ROLE):
        raise ApiProblem(404, f"There is no list {address[:320]} that this token may use.")
    return mlist


def post_for(post_id: int, *allowed: Role) -> Post:
    """The post if the user holds one of the allowed roles on its list; 404 otherwise."""
    post = db.session.get(Post, post_id)
    if post is None or not roles_on(current_api_user(), post.list_id) & set(allowed or ANY_ROLE):
        raise ApiProblem(404, f"There is no post {post_id} that this token may use.")
    set_post(post.id)
    return post


def visible_lists(user: User) -> list[MailingList]:
    """Every list the user has a role on (all of them for an admin)."""
    query = select(MailingList).order_by(MailingList.domain, MailingList.local_part)
    if not user.is_admin:
        query = query.where(MailingList.id.in_(select(ListRole.list_id).where(ListRole.user_id == user.id)))
    return list(db.session.scalars(query))
