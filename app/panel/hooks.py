"""Webhooks in the panel: each one's delivery log with response codes, a test button, enabling again.

Site admins see every webhook; a list owner sees the webhooks of the lists they own (site-wide ones are
the admins'). Adding and removing stay with `mailflow webhooks add|remove`, which show the secret once.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import MailingList, Role, Webhook
from app.models.audit import Actor
from app.panel.access import visible_list_ids
from app.panel.list_forms import ConfirmForm
from app.webhooks.registry import delivery_log, enable_webhook, send_test

hooks = Blueprint("hooks", __name__, url_prefix="/webhooks")


def _visible() -> list[Webhook]:
    query = select(Webhook).order_by(Webhook.id)
    if not current_user.is_admin:
        query = query.where(Webhook.list_id.in_(visible_list_ids(Role.OWNER)))
    return list(db.session.scalars(query))


def _hook(hook_id: int) -> Webhook:
    """The webhook if the user may manage it (admin, or owner of its list); 404 otherwise."""
    hook = db.session.get(Webhook, hook_id)
    if hook is None or not (current_user.is_admin or hook in _visible()):
        abort(404)
    return hook


def _list_names() -> dict[int, str]:
    return dict(
        db.session.execute(select(MailingList.id, MailingList.local_part + "@" + MailingList.domain)).all()
    )


@hooks.get("/")
@login_required
def index():
    return render_template("hooks/index.html", hooks=_visible(), lists=_list_names())


@hooks.get("/<int:hook_id>")
@login_required
def detail(hook_id: int):
    hook = _hook(hook_id)
    return render_template(
        "hooks/detail.html", hook=hook, log=delivery_log(hook), lists=_list_names(), action_form=ConfirmForm()
    )


@hooks.post("/<int:hook_id>/test")
@login_required
def test(hook_id: int):
    hook = _hook(hook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not hook.active:
        flash("This webhook is disabled: enable it first, then send a test.")
        return redirect(url_for("hooks.detail", hook_id=hook.id))
    delivery = send_test(hook)
    if delivery.response_code is not None:
        flash(f"Test sent: the receiver answered {delivery.response_code}.")
    else:
        flash(f"Test not delivered ({delivery.last_error}); it is retried like any delivery.")
    return redirect(url_for("hooks.detail", hook_id=hook.id))


@hooks.post("/<int:hook_id>/enable")
@login_required
def enable(hook_id: int):
    hook = _hook(hook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = enable_webhook(hook, Actor.of(current_user))
    flash("The webhook is enabled again." if done else "The webhook was not disabled.")
    return redirect(url_for("hooks.detail", hook_id=hook.id))
