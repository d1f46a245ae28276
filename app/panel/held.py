"""The moderation queue: per list and across the user's lists; one post's page; single and bulk actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only

from app.extensions import db
from app.lists.staff import active_staff
from app.models import MailingList, Post, PostStatus
from app.models.audit import Actor
from app.moderation import actions as decide
from app.panel.access import list_for, post_for, visible_list_ids
from app.panel.ids import parse_id
from app.panel.list_forms import ConfirmForm
from app.panel.paging import Page
from app.panel.preview import build_preview
from app.panel.queue_rows import queue_rows
from app.posts.history import author_histories

moderation = Blueprint("moderation", __name__)
QUEUE_LIMIT = 200  # posts one bulk action may decide
PAGE_SIZE = 50
RAW_SHOWN = 200_000  # "Show raw" shows the start of a large message
ACTIONS = ("approve", "approve_allow", "reject", "discard", "ban")
# What a queue row reads of a post; the bytes are streamed separately (queue_rows), the rest is not needed.
ROW_COLUMNS = (
    Post.list_id, Post.sender, Post.mail_from, Post.subject, Post.status, Post.received_at,
    Post.hold_reasons, Post.decision_reason, Post.sha256,
)  # fmt: skip


def _next_held(post: Post) -> int | None:
    """The id of the oldest other held post of the post's list."""
    query = select(Post.id).where(
        Post.status == PostStatus.HELD, Post.list_id == post.list_id, Post.id != post.id
    )
    return db.session.scalar(query.order_by(Post.received_at, Post.id).limit(1))


def _queue_page(*where) -> tuple[list[Post], Page]:
    """One page of held posts, oldest first, without their bytes (the rows stream those)."""
    held = (Post.status == PostStatus.HELD, *where)
    total = db.session.scalar(select(func.count()).select_from(Post).where(*held)) or 0
    page = Page.of(request.args.get("page", ""), total, PAGE_SIZE)
    query = (
        select(Post)
        .where(*held)
        .options(load_only(*ROW_COLUMNS), joinedload(Post.mailing_list))
        .order_by(Post.received_at, Post.id)
        .offset(page.offset)
        .limit(page.size)
    )
    return list(db.session.scalars(query)), page


@moderation.route("/moderation")
@login_required
def all_queues():
    posts, page = _queue_page(Post.list_id.in_(visible_list_ids()))
    return _render_queue(posts, page, None)


def _render_queue(posts: list[Post], page: Page, mlist: MailingList | None, nobody_told: bool = False):
    return render_template(
        "moderation/queue.html",
        rows=queue_rows(posts),
        page=page,
        mlist=mlist,
        form=ConfirmForm(),
        reasons=decide.CANNED_REASONS,
        nobody_told=nobody_told,
    )


@moderation.route("/lists/<int:list_id>/moderation")
@login_required
def list_queue(list_id: int):
    mlist = list_for(list_id)
    posts, page = _queue_page(Post.list_id == mlist.id)
    return _render_queue(posts, page, mlist, nobody_told=bool(posts) and not active_staff(mlist.id))


@moderation.route("/moderation/<int:post_id>")
@login_required
def held_post(post_id: int):
    post = post_for(post_id)
    return render_template(
        "moderation/post.html",
        post=post,
        mlist=post.mailing_list,
        form=ConfirmForm(),
        preview=build_preview(post.raw),
        raw_text=post.raw[:RAW_SHOWN].decode("utf-8", "replace"),
        history=author_histories([(post.list_id, post.sender or post.mail_from)]).get(
            (post.list_id, post.sender or post.mail_from)
        ),
        reasons=decide.CANNED_REASONS,
    )


def apply(post: Post, action: str, reason: str) -> str:
    """Carry out one action on one held post; returns what happened, for the flash message."""
    who = post.sender or post.mail_from or "(unknown sender)"
    actor = Actor.of(current_user)
    if action in ("approve", "approve_allow"):
        decide.approve(post, actor, always_allow=action == "approve_allow")
        return f"Approved the post from {who}."
    if action == "reject":
        sent = decide.reject(post, actor, reason)
        return f"Rejected the post from {who}" + (
            "; the sender was told why." if sent else "; no notice sent."
        )
    if action == "discard":
        decide.discard(post, actor)
        return f"Discarded the post from {who}."
    decide.ban_sender(post, actor)
    return f"Banned {who} and discarded the post."


def _reason() -> str:
    custom = " ".join(request.form.get("custom_reason", "").split())[:1000]
    return custom or request.form.get("reason", "")


@moderation.route("/moderation/<int:post_id>", methods=["POST"])
@login_required
def act(post_id: int):
    post = post_for(post_id)
    action = request.form.get("action", "")
    if not ConfirmForm().validate_on_submit() or action not in ACTIONS:
        abort(400)
    try:
        flash(apply(post, action, _reason()), "success")
    except decide.NotHeld:
        flash("Someone else already decided about that post.", "error")
    return redirect(_after_acting(post, request.form.get("back", "")))


def _after_acting(post: Post, back: str) -> str:
    """From a post's page go on to the next held post of its list; from a queue, back to that queue."""
    if back == "all":
        return url_for("moderation.all_queues")
    if back == "next":
        following = _next_held(post)
        if following is not None:
            return url_for("moderation.held_post", post_id=following)
    return url_for("moderation.list_queue", list_id=post.list_id)


BULK_DONE = {
    "approve": "Approved {n}.",
    "approve_allow": "Approved {n} and allowed their senders from now on.",
    "reject": "Rejected {n}; the senders were told why.",
    "discard": "Discarded {n}.",
    "ban": "Banned the senders of {n} and discarded them.",
}


def _posts(count: int) -> str:
    return "1 post" if count == 1 else f"{count} posts"


def bulk_message(action: str, done: int, chosen: int) -> str:
    """What a bulk action did, in words: "Discarded 8 posts.", and how many someone else had decided."""
    message = BULK_DONE[action].format(n=_posts(done))
    if done < chosen:
        message += f" {_posts(chosen - done)} had already been decided by someone else."
    return message


@moderation.route("/moderation/bulk", methods=["POST"])
@login_required
def bulk():
    action = request.form.get("action", "")
    if not ConfirmForm().validate_on_submit() or action not in ACTIONS:
        abort(400)
    ids = [i for i in map(parse_id, request.form.getlist("post_id")) if i is not None][:QUEUE_LIMIT]
    chosen = [post_for(post_id) for post_id in ids]  # 404 before any change if one is not the user's
    done = 0
    for post in chosen:
        try:
            apply(post, action, _reason())
            done += 1
        except decide.NotHeld:
            continue
    if chosen:
        flash(bulk_message(action, done, len(chosen)), "success" if done else "error")
    else:
        flash("Select posts first: tick the box in front of each post, or “Select all”.", "error")
    back = request.form.get("list_id", "")
    if parse_id(back) is not None and db.session.get(MailingList, parse_id(back)) is not None:
        return redirect(url_for("moderation.list_queue", list_id=int(back)))
    return redirect(url_for("moderation.all_queues"))
