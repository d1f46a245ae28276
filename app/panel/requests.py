"""Subscription requests waiting for approval: per list and across the user's lists; single and bulk decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.models import MailingList, Member, Role
from app.models.audit import Actor
from app.moderation.requests import (
    QUEUE_LIMIT,
    NotPending,
    RequestAction,
    count_pending,
    decide_many,
    decide_request,
    pending_requests,
)
from app.panel.access import list_for, visible_list_ids
from app.panel.ids import parse_id
from app.panel.list_forms import ConfirmForm

requests = Blueprint("requests", __name__)
STAFF = (Role.OWNER, Role.MODERATOR)


def requests_count_for_nav() -> int:
    """Pending requests on the lists the user moderates, for the navigation badge."""
    if not current_user.is_authenticated:
        return 0
    return count_pending(visible_list_ids())


def _render(members: list[Member], mlist: MailingList | None):
    return render_template("requests/queue.html", members=members, mlist=mlist, form=ConfirmForm())


@requests.route("/requests")
@login_required
def all_requests():
    return _render(pending_requests(visible_list_ids()), None)


@requests.route("/lists/<int:list_id>/requests")
@login_required
def list_requests(list_id: int):
    mlist = list_for(list_id, *STAFF)
    return _render(pending_requests([mlist.id]), mlist)


def _request_for(member_id: int) -> Member:
    """The member row, or 404 when it is gone or not on a list the user moderates."""
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    list_for(member.list_id, *STAFF)
    return member


def _action() -> RequestAction:
    try:
        return RequestAction(request.form.get("action", ""))
    except ValueError:
        abort(400)


def _back(list_id: str):
    if parse_id(list_id) is not None:
        return redirect(url_for("requests.list_requests", list_id=int(list_id)))
    return redirect(url_for("requests.all_requests"))


@requests.route("/requests/<int:member_id>", methods=["POST"])
@login_required
def act(member_id: int):
    member = _request_for(member_id)
    action = _action()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        flash(
            decide_request(member, action, Actor.of(current_user), request.form.get("reason", "")), "success"
        )
    except NotPending:
        flash("Someone else already decided about that request.", "error")
    return _back(request.form.get("list_id", ""))


@requests.route("/requests/bulk", methods=["POST"])
@login_required
def bulk():
    action = _action()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = [i for i in map(parse_id, request.form.getlist("member_id")) if i is not None][:QUEUE_LIMIT]
    chosen = [_request_for(member_id) for member_id in ids]  # 404 before any change if one is not theirs
    if not chosen:
        flash("Select requests first: tick the box in front of each one.", "error")
        return _back(request.form.get("list_id", ""))
    done, skipped = decide_many(chosen, action, Actor.of(current_user), request.form.get("reason", ""))
    verb = {"approve": "Approved", "deny": "Declined", "discard": "Discarded"}[action]
    note = f" {skipped} had already been decided by someone else." if skipped else ""
    flash(f"{verb} {done} request(s).{note}", "success" if done else "error")
    return _back(request.form.get("list_id", ""))
