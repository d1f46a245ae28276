"""A list's bans: typed addresses or ^patterns, previewed before they are saved, and lifted again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.models import MailingList, Role
from app.models.audit import record
from app.moderation.bans import InvalidPattern, Preview, add_typed_ban, list_bans, preview, remove_ban
from app.panel.access import list_for
from app.panel.list_forms import ConfirmForm

bans = Blueprint("bans", __name__, url_prefix="/lists")


class BanForm(FlaskForm):
    pattern = StringField(
        "Address, or a regular expression starting with ^", [DataRequired(), Length(max=500)]
    )
    previewed = HiddenField()  # the pattern whose preview the owner has seen
    check = SubmitField("Preview")
    save = SubmitField("Ban")


def _save(mlist: MailingList, pattern: str) -> None:
    ban = add_typed_ban(mlist, pattern)
    record("ban.add", current_user.email, "list", mlist.id, mlist.id, current_user.id, pattern=ban.pattern)
    db.session.commit()
    flash(f"Banned {ban.pattern} ({ban.kind}).")


@bans.route("/<int:list_id>/bans", methods=["GET", "POST"])
@login_required
def index(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = BanForm()
    found: Preview | None = None
    if form.validate_on_submit():
        pattern = form.pattern.data.strip()
        try:
            found = preview(mlist, pattern)
        except InvalidPattern as exc:
            form.pattern.errors.append(str(exc))
        else:
            if form.save.data and form.previewed.data == pattern:  # saved only once its preview was shown
                _save(mlist, pattern)
                return redirect(url_for("bans.index", list_id=mlist.id))
            form.previewed.data, form.previewed.raw_data = pattern, [pattern]
    return render_template(
        "bans/index.html",
        mlist=mlist,
        form=form,
        preview=found,
        bans=list_bans(mlist.id),
        action_form=ConfirmForm(),
    ), (400 if form.errors else 200)


@bans.route("/<int:list_id>/bans/<int:ban_id>/delete", methods=["POST"])
@login_required
def delete(list_id: int, ban_id: int):
    mlist = list_for(list_id, Role.OWNER)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.")
        return redirect(url_for("bans.index", list_id=mlist.id))
    ban = remove_ban(mlist.id, ban_id)
    if ban is None:
        abort(404)
    record("ban.remove", current_user.email, "list", mlist.id, mlist.id, current_user.id, pattern=ban.pattern)
    db.session.commit()
    flash(f"Lifted the ban on {ban.pattern}.")
    return redirect(url_for("bans.index", list_id=mlist.id))
