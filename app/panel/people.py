"""A person's data (site admins): look an address up, download everything stored about it, or erase it."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.mail.addresses import InvalidAddress, normalise_address
from app.models.audit import Actor
from app.panel.access import require_admin
from app.people.erase import erase_person
from app.people.export import export_person

people = Blueprint("people", __name__, url_prefix="/people")


class EraseForm(FlaskForm):
    address = StringField("Type the address again to erase it", [DataRequired(), Length(max=320)])
    submit = SubmitField("Erase everything about this address")


def _address(text: str) -> str | None:
    try:
        return normalise_address(text) if text.strip() else None
    except InvalidAddress:
        return None


@people.route("/")
@login_required
def lookup():
    require_admin()
    raw = request.args.get("address", "")[:320]
    email = _address(raw)
    if raw and email is None:
        flash("That does not look like an email address.", "error")
    data = export_person(email) if email else None
    return render_template(
        "people/lookup.html",
        address=raw,
        email=email,
        data=data,
        shown=json.dumps(data, indent=2, ensure_ascii=False, default=str) if data else "",
        form=EraseForm(),
    )


@people.route("/export.json")
@login_required
def export():
    require_admin()
    email = _address(request.args.get("address", "")[:320])
    if email is None:
        return redirect(url_for("people.lookup"))
    body = json.dumps(export_person(email), indent=2, ensure_ascii=False, default=str)
    headers = {"Content-Disposition": 'attachment; filename="person.json"'}
    return Response(body, mimetype="application/json", headers=headers)


@people.route("/erase", methods=["POST"])
@login_required
def erase():
    require_admin()
    form = EraseForm()
    email = _address(request.form.get("email", "")[:320])
    if not form.validate_on_submit() or email is None or _address(form.address.data or "") != email:
        flash("Nothing was erased: type the same address in the box to confirm.", "error")
        return redirect(url_for("people.lookup", address=email or ""))
    erased = erase_person(email, Actor.of(current_user))
    flash(
        f"Erased: {erased.memberships} memberships, {erased.deliveries} copies, {erased.bounces} bounces; "
        f"the address was replaced in {erased.posts_redacted} posts and {erased.audit_redacted} audit entries."
    )
    return redirect(url_for("people.lookup"))
