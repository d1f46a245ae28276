"""The post log: every post with its status and trace, per-recipient deliveries and bounces; retry a shunted post."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Bounce, Delivery, PostStatus, Role
from app.models.audit import Actor
from app.panel.access import list_for, post_for, roles_on
from app.panel.ids import parse_id
from app.panel.list_forms import ConfirmForm
from app.panel.paging import Page
from app.pipeline.retry import RetryRefused, retry_post
from app.posts.log import delivery_counts, find_posts

posts = Blueprint("posts", __name__)
PAGE_SIZE = 50
DELIVERY_ROWS = 50


@posts.route("/lists/<int:list_id>/posts")
@login_required
def log(list_id: int):
    mlist = list_for(list_id)
    status = request.args.get("status", "")
    before = request.args.get("before", "")
    rows = find_posts(
        mlist,
        PostStatus(status) if status in set(PostStatus) else None,
        parse_id(before),
        PAGE_SIZE + 1,
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template(
        "posts/log.html",
        mlist=mlist,
        posts=rows,
        status=status,
        statuses=[s.value for s in PostStatus],
        next_before=rows[-1].id if more else None,
    )


@posts.route("/posts/<int:post_id>")
@login_required
def detail(post_id: int):
    post = post_for(post_id)
    by_status = {status: count for status, count in delivery_counts(post).items() if count}
    shown = request.args.get("outcome", "")
    shown = shown if shown in by_status else ""
    total = by_status[shown] if shown else sum(by_status.values())
    page = Page.of(request.args.get("page", ""), total, DELIVERY_ROWS)
    query = select(Delivery).where(Delivery.post_id == post.id)
    if shown:
        query = query.where(Delivery.status == shown)
    # Recipients are member addresses: the roster is for owners (and admins), not moderators.
    shows_recipients = Role.OWNER in roles_on(post.mailing_list)
    deliveries = (
        db.session.scalars(query.order_by(Delivery.id).offset(page.offset).limit(DELIVERY_ROWS)).all()
        if shows_recipients
        else []
    )
    bounces = (
        db.session.scalars(
            select(Bounce)
            .join(Delivery, Bounce.delivery_id == Delivery.id)
            .where(Delivery.post_id == post.id)
            .order_by(Bounce.id)
        ).all()
        if shows_recipients
        else []
    )
    return render_template(
        "posts/detail.html",
        post=post,
        mlist=post.mailing_list,
        by_status=by_status,
        outcome=shown,
        shows_recipients=shows_recipients,
        deliveries=deliveries,
        page=page,
        bounces=bounces,
        form=ConfirmForm(),
    )


@posts.route("/posts/<int:post_id>/retry", methods=["POST"])
@login_required
def retry(post_id: int):
    post = post_for(post_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        retry_post(post.id, Actor.of(current_user))
    except RetryRefused:
        flash("Only shunted posts can be retried.")
    else:
        flash("The post is queued again.")
    return redirect(url_for("posts.detail", post_id=post.id))
