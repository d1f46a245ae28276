"""/api/v1: held posts (moderators), a post's status and trace, and moderation decisions."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from app.api.access import current_api_user, list_for, post_for
from app.api.problems import ApiProblem
from app.api.schemas import HeldPage, Moderation, ModerationResult, PostDetail
from app.api.spec import endpoint
from app.extensions import db
from app.models import Post, PostStatus
from app.models.audit import Actor
from app.moderation import actions
from app.posts.log import post_summary, reasons

posts_api = Blueprint("api_posts", __name__)


@endpoint(
    posts_api, "GET", "/lists/{address}/held", "Posts held for a moderator, oldest first", answer=HeldPage
)
def held_posts(address: str) -> dict:
    mlist = list_for(address)
    query = select(Post).where(Post.list_id == mlist.id, Post.status == PostStatus.HELD).order_by(Post.id)
    items = [
        {
            "id": p.id,
            "sender": p.sender or p.mail_from,
            "subject": p.subject,
            "received_at": p.received_at,
            "reasons": reasons(p),
        }
        for p in db.session.scalars(query.limit(500))
    ]
    return {"items": items}


@endpoint(
    posts_api, "GET", "/posts/{post_id}", "A post: status, decision trace, outcome counts", answer=PostDetail
)
def one_post(post_id: int) -> dict:
    return post_summary(post_for(post_id))


@endpoint(
    posts_api,
    "POST",
    "/posts/{post_id}/moderation",
    "Approve, reject or discard a held post",
    body=Moderation,
    answer=ModerationResult,
)
def moderate(post_id: int, body: Moderation) -> dict:
    post = post_for(post_id)
    if post.status != PostStatus.HELD:
        raise ApiProblem(409, f"Post {post_id} is {post.status}, not held: it was already decided.")
    actor = Actor.of(current_api_user())
    try:
        if body.action == "approve":
            actions.approve(post, actor, note=body.reason)
        elif body.action == "reject":
            actions.reject(post, actor, body.reason)
        else:
            actions.discard(post, actor, note=body.reason)
    except actions.NotHeld:
        raise ApiProblem(409, f"Post {post_id} was decided meanwhile.") from None
    db.session.refresh(post)
    return {"id": post.id, "status": post.status}
