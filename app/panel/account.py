"""The user's own account settings beside the password: the time zone the panel shows times in."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from app.extensions import db
from app.models.audit import record

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
