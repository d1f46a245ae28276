"""The audit log: every admin and moderator action, newest first (site admins)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, MailingList
from app.panel.access import require_admin
from app.panel.ids import parse_id

audit = Blueprint("audit", __name__)
PAGE_SIZE = 100


@audit.route("/audit")
@login_required
def index():
    require_admin()
    before = request.args.get("before", "")
    query = select(AuditEntry, MailingList).outerjoin(MailingList, AuditEntry.list_id == MailingList.id)
    if parse_id(before) is not None:
        query = query.where(AuditEntry.id < int(before.strip()))
    rows = db.session.execute(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template("audit/index.html", rows=rows, next_before=rows[-1][0].id if more else None)
