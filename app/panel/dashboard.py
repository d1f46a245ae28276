"""The dashboard: every list the user runs with its figures, and a chart of the last days."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.status import copy_counts
from app.models import Member, MemberStatus, Post, PostSource, PostStatus
from app.panel.access import list_for, visible_lists_query
from app.panel.chart import SERIES, daily_figures, svg_chart

dashboard = Blueprint("dashboard", __name__)


def _count_by_list(column, ids, *where) -> dict[int, int]:
    return dict(
        db.session.execute(select(column, func.count()).where(column.in_(ids), *where).group_by(column)).all()
    )


@dashboard.route("/")
@login_required
def index():
    mlists = db.session.scalars(visible_lists_query()).all()
    ids = [m.id for m in mlists]
    members = _count_by_list(Member.list_id, ids, Member.status == MemberStatus.ACTIVE)
    held = _count_by_list(Post.list_id, ids, Post.status == PostStatus.HELD)
    posts = _count_by_list(Post.list_id, ids, Post.source != PostSource.DIGEST)  # digests are not posts
    rows = [(m, members.get(m.id, 0), held.get(m.id, 0), posts.get(m.id, 0)) for m in mlists]
    figures = daily_figures(ids)
    return render_template(
        "dashboard/index.html",
        rows=rows,
        copies=copy_counts(ids),
        total_held=sum(held.values()),
        total_members=sum(members.values()),
        chart=svg_chart(figures),
        figures=figures,
        totals=figures.totals(),
        series=SERIES,
    )


@dashboard.route("/lists/<int:list_id>/figures")
@login_required
def list_figures(list_id: int):
    mlist = list_for(list_id)
    figures = daily_figures([mlist.id])
    return render_template(
        "dashboard/figures.html",
        mlist=mlist,
        chart=svg_chart(figures),
        figures=figures,
        totals=figures.totals(),
        series=SERIES,
    )
