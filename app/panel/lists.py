"""Lists: create, overview, settings, header/footer templates, delete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import SubmitField

from app.extensions import db
from app.lists.lifecycle import create_list, delete_list
from app.lists.settings import LIST_SETTINGS, SETTINGS, Group, SettingsError, update_list_settings
from app.models import Member, MemberStatus, Post, PostStatus, Role
from app.models.audit import Actor, record
from app.panel.access import list_for, require_admin, roles_on
from app.panel.decoration import render, sample_context
from app.panel.list_forms import (
    ConfirmForm,
    NewListForm,
    groups,
    raw_values,
    settings_form_class,
    show_errors,
)

lists = Blueprint("lists", __name__, url_prefix="/lists")


SETTINGS_PAGE = (Group.ABOUT, Group.POLICIES, Group.OUTGOING, Group.DIGESTS, Group.ARCHIVE)


class TemplatesForm(settings_form_class(Group.TEMPLATES)):  # type: ignore[misc]
    preview = SubmitField("Preview")
    submit = SubmitField("Save templates")


def _audit(action: str, mlist, **details) -> None:
    record(action, current_user.email, "list", mlist.id, mlist.id, current_user.id, **details)


@lists.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_admin()
    form = NewListForm()
    if form.validate_on_submit():
        try:
            mlist = create_list(form.address.data, (form.display_name.data or "").strip())
        except ValueError as exc:
            form.address.errors.append(str(exc))
        else:
            db.session.flush()
            _audit("list.create", mlist, address=mlist.address)
            db.session.commit()
            flash(f"Created {mlist.address}.")
            return redirect(url_for("lists.settings", list_id=mlist.id))
    return render_template("lists/new.html", form=form), (400 if form.errors else 200)


@lists.route("/<int:list_id>")
@login_required
def detail(list_id: int):
    mlist = list_for(list_id)
    counts = dict(
        db.session.execute(
            select(Member.status, func.count()).where(Member.list_id == mlist.id).group_by(Member.status)
        ).all()
    )
    held = db.session.scalar(
        select(func.count()).select_from(Post).where(Post.list_id == mlist.id, Post.status == PostStatus.HELD)
    )
    return render_template(
        "lists/detail.html",
        mlist=mlist,
        counts=counts,
        held=held,
        roles=roles_on(mlist),
        active=counts.get(MemberStatus.ACTIVE, 0),
    )


@lists.route("/<int:list_id>/settings", methods=["GET", "POST"])
@login_required
def settings(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = settings_form_class(*SETTINGS_PAGE)(obj=mlist)
    if form.is_submitted():
        valid = form.validate()
        raw = raw_values(form, *SETTINGS_PAGE)
        try:
            if not valid:  # still ask the registry about the other fields: every problem is shown at once
                LIST_SETTINGS.parse(mlist, {key: text for key, text in raw.items() if not form[key].errors})
            else:
                changed = update_list_settings(mlist, raw, Actor.of(current_user))
                flash("Settings saved." if changed else "Nothing changed.", "success" if changed else "info")
                return redirect(url_for("lists.settings", list_id=mlist.id))
        except SettingsError as exc:
            show_errors(form, exc)
    return render_template("lists/settings.html", mlist=mlist, form=form, groups=groups(*SETTINGS_PAGE)), (
        400 if form.errors else 200
    )


@lists.route("/<int:list_id>/templates", methods=["GET", "POST"])
@login_required
def templates(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = TemplatesForm(obj=mlist)
    previews: dict[str, str] = {}
    if form.validate_on_submit():
        context = sample_context(mlist)
        for field in (form[s.key] for s in SETTINGS if s.group == Group.TEMPLATES):
            try:
                previews[field.name] = render(field.data or "", context)
            except ValueError as exc:
                field.errors = [*field.errors, str(exc)]
        if not form.errors and form.submit.data:
            try:
                update_list_settings(mlist, raw_values(form, Group.TEMPLATES), Actor.of(current_user))
            except SettingsError as exc:
                show_errors(form, exc)
            else:
                flash("Templates saved.")
                return redirect(url_for("lists.templates", list_id=mlist.id))
    return render_template(
        "lists/templates.html", mlist=mlist, form=form, previews=previews, sample=sample_context(mlist)
    ), (400 if form.errors else 200)


@lists.route("/<int:list_id>/delete", methods=["GET", "POST"])
@login_required
def delete(list_id: int):
    require_admin()
    mlist = list_for(list_id, Role.OWNER)
    form = ConfirmForm()
    if form.validate_on_submit():
        if request.form.get("address", "").strip().lower() != mlist.address:
            flash("Type the list's address to confirm.")
        else:
            address = delete_list(mlist, Actor.of(current_user))
            flash(f"Deleted {address} with its members and posts.")
            return redirect(url_for("dashboard.index"))
    return render_template("lists/delete.html", mlist=mlist, form=form)
