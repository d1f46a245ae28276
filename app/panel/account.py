"""The user's own account settings beside the password: the time zone, and how they hear of held posts."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, SubmitField

from app.accounts.notice_settings import (
    InvalidNoticeSetting,
    notice_settings,
    parse_settings,
    set_notice_settings,
)
from app.extensions import db
from app.lists.staff import roles_of
from app.models import ListRole, MailingList, Role
from app.models.audit import Actor, record
from app.panel.access import list_for
from app.panel.list_forms import choices

account = Blueprint("account", __name__, url_prefix="/account")


@cache
def zone_choices() -> list[tuple[str, str]]:
    """UTC first, then every IANA zone this system knows, by name."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [("", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


class TimezoneForm(FlaskForm):
    timezone = SelectField("Show times in", choices=[])
    submit = SubmitField("Save time zone")


@account.route("/timezone", methods=["GET", "POST"])
@login_required
def timezone():
    form = TimezoneForm(timezone=current_user.timezone)
    form.timezone.choices = zone_choices()
    if form.validate_on_submit():
        current_user.timezone = form.timezone.data
        record("user.timezone", current_user.email, "user", current_user.id, user_id=current_user.id)
        db.session.commit()
        flash(f"Times are now shown in {form.timezone.data or 'UTC'}.")
        return redirect(url_for("account.timezone"))
    return render_template("account/timezone.html", form=form), (400 if form.errors else 200)


class NoticesForm(FlaskForm):
    mode = SelectField(
        "Held posts and requests",
        choices=choices(
            [
                ("each", "A notice for each (default)"),
                ("interval", "A summary every N minutes"),
                ("daily", "A daily summary"),
            ]
        ),
    )
    minutes = IntegerField("Minutes between summaries (for a summary every N minutes)", default=60)
    membership = SelectField(
        "Joins, leaves and bounce-disables (owners)",
        choices=choices(
            [("off", "Don't tell me"), ("each", "Tell me as they happen"), ("daily", "A daily summary")]
        ),
    )
    submit = SubmitField("Save")


def _staff_lists() -> list[tuple[MailingList, bool]]:
    """The lists the user is owner or moderator of, with whether they own it."""
    owned = {address for address, role in roles_of(current_user) if role == Role.OWNER}
    lists = db.session.scalars(
        select(MailingList).join(ListRole).where(ListRole.user_id == current_user.id).distinct()
    )
    return sorted(((m, m.address in owned) for m in lists), key=lambda pair: pair[0].address)


@account.route("/notices")
@login_required
def notices():
    rows = []
    for mlist, owner in _staff_lists():
        settings = notice_settings(current_user, mlist)
        form = NoticesForm(
            prefix=f"l{mlist.id}",
            mode=str(settings.mode),
            minutes=settings.interval_minutes,
            membership=str(settings.membership),
        )
        rows.append((mlist, owner, form))
    return render_template("account/notices.html", rows=rows)


@account.route("/notices/<int:list_id>", methods=["POST"])
@login_required
def save_notices(list_id: int):
    mlist = list_for(list_id, Role.OWNER, Role.MODERATOR)
    form = NoticesForm(prefix=f"l{mlist.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        settings = parse_settings(form.mode.data or "", form.minutes.data or 0, form.membership.data or "")
        set_notice_settings(current_user, mlist, settings, Actor.of(current_user))
    except InvalidNoticeSetting as exc:
        flash(f"Not saved: {exc}.", "error")
        return redirect(url_for("account.notices"))
    flash(f"Notice settings for {mlist.address} saved.", "success")
    return redirect(url_for("account.notices"))
