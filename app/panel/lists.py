"""A list's page: settings summary and its members."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, Post, PostStatus
from app.panel.access import list_for

lists = Blueprint("lists", __name__, url_prefix="/lists")
PAGE_SIZE = 50


@lists.route("/<int:list_id>")
@login_required
def detail(list_id: int):
    mlist = list_for(list_id)
    after = request.args.get("after", "")
    query = select(Member).where(Member.list_id == mlist.id)
    if after:
        query = query.where(Member.email > after)
    members = db.session.scalars(query.order_by(Member.email).limit(PAGE_SIZE + 1)).all()
    more = len(members) > PAGE_SIZE
    members = members[:PAGE_SIZE]
    total = db.session.scalar(select(func.count()).select_from(Member).where(Member.list_id == mlist.id))
    held = db.session.scalars(
        select(Post).where(Post.list_id == mlist.id, Post.status == PostStatus.HELD).order_by(Post.id.desc()).limit(20)
    ).all()
    return render_template(
        "panel/list_detail.html", mlist=mlist, members=members, total=total, held=held,
        next_after=members[-1].email if more else None,
    )
