"""The dashboard: every list the user runs, with member and held-post counts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, MemberStatus, Post, PostStatus
from app.panel.access import visible_lists_query

dashboard = Blueprint("dashboard", __name__)


@dashboard.route("/")
@login_required
def index():
    mlists = db.session.scalars(visible_lists_query()).all()
    ids = [m.id for m in mlists]
    members = dict(db.session.execute(
        select(Member.list_id, func.count()).where(Member.list_id.in_(ids), Member.status == MemberStatus.ACTIVE)
        .group_by(Member.list_id)
    ).all())
    held = dict(db.session.execute(
        select(Post.list_id, func.count()).where(Post.list_id.in_(ids), Post.status == PostStatus.HELD)
        .group_by(Post.list_id)
    ).all())
    rows = [(m, members.get(m.id, 0), held.get(m.id, 0)) for m in mlists]
    return render_template("panel/dashboard.html", rows=rows, total_held=sum(held.values()))
