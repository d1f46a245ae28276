"""Site admins manage panel accounts: create, roles per list, reset password, deactivate."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.lists.staff import grant_role, revoke_role
from app.mail.addresses import InvalidAddress, normalise_address
from app.models import ListRole, MailingList, Role, User
from app.models.audit import Actor, record
from app.panel.access import require_admin
from app.panel.auth import MIN_PASSWORD, PASSWORD_LENGTH
from app.panel.ids import parse_id
from app.panel.list_forms import ConfirmForm, choices

users = Blueprint("users", __name__, url_prefix="/users")


class NewUserForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), Length(max=320)])
    password = PasswordField(
        "Initial password (tell the user; they change it)",
        [DataRequired(), Length(min=MIN_PASSWORD, max=1024, message=PASSWORD_LENGTH)],
    )
    is_admin = BooleanField("Site administrator")
    submit = SubmitField("Create user")


class RoleForm(FlaskForm):
    list_id = SelectField("List", coerce=int)
    role = SelectField(
        "Role", choices=choices((r.value, r.value) for r in Role), default=Role.MODERATOR.value
    )
    submit = SubmitField("Give role")


def _audit(action: str, user: User, **details) -> None:
    record(action, current_user.email, "user", user.id, user_id=current_user.id, email=user.email, **details)


@users.before_request
@login_required
def admins_only():
    require_admin()


@users.route("/", methods=["GET", "POST"])
def index():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            email = normalise_address(form.email.data)
        except InvalidAddress as exc:
            form.email.errors.append(str(exc))
        else:
            if db.session.scalar(select(User).where(User.email == email)):
                form.email.errors.append("There is already a user with that address.")
            else:
                user = User(email=email, is_admin=form.is_admin.data)
                user.set_password(form.password.data)
                db.session.add(user)
                db.session.flush()
                _audit("user.create", user, admin=user.is_admin)
                db.session.commit()
                flash(f"Created {email}.")
                return redirect(url_for("users.edit", user_id=user.id))
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("users/index.html", form=form, accounts=accounts), (400 if form.errors else 200)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@users.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):
    user = _user(user_id)
    form = RoleForm()
    form.list_id.choices = choices(
        (m.id, m.address)
        for m in db.session.scalars(select(MailingList).order_by(MailingList.local_part, MailingList.domain))
    )
    if form.validate_on_submit():
        mlist = db.session.get(MailingList, form.list_id.data)
        if mlist is None:
            flash("That list no longer exists; nothing changed.", "error")
        elif grant_role(user, mlist, Role(form.role.data), Actor.of(current_user)):
            flash(f"{user.email} is now {form.role.data} of {mlist.address}.", "success")
        else:
            flash(f"Nothing changed: {user.email} already is {form.role.data} of {mlist.address}.", "info")
        return redirect(url_for("users.edit", user_id=user.id))
    roles = db.session.execute(
        select(ListRole, MailingList)
        .join(MailingList)
        .where(ListRole.user_id == user.id)
        .order_by(MailingList.local_part)
    ).all()
    return render_template("users/edit.html", user=user, form=form, roles=roles, action_form=ConfirmForm())


@users.route("/<int:user_id>/<any(reset, toggle_active, toggle_admin, drop_role):action>", methods=["POST"])
def act(user_id: int, action: str):
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id and action in ("toggle_active", "toggle_admin"):
        flash("You cannot remove your own access; ask another admin.", "error")
        return redirect(url_for("users.edit", user_id=user.id))
    if action == "reset":
        password = request.form.get("password", "")
        if not MIN_PASSWORD <= len(password) <= 1024:
            flash(f"A password needs at least {MIN_PASSWORD} characters; nothing was changed.", "error")
            return redirect(url_for("users.edit", user_id=user.id))
        user.set_password(password)  # ends every session of that user
        flash(f"The password of {user.email} is reset; their sessions are ended.")
    elif action == "toggle_active":
        user.active = not user.active
        user.session_token = secrets.token_hex(16)
        flash(
            f"{user.email} is active again and can log in."
            if user.active
            else f"{user.email} is deactivated: they cannot log in, and their sessions are ended."
        )
    elif action == "toggle_admin":
        user.is_admin = not user.is_admin
        flash(
            f"{user.email} is now a site administrator."
            if user.is_admin
            else f"{user.email} is no longer a site administrator; their list roles stay."
        )
    else:
        role_id = request.form.get("role_id", "")
        role_key = parse_id(role_id)
        held = db.session.get(ListRole, role_key) if role_key is not None else None
        if held is not None and held.user_id == user.id:
            revoke_role(user, held.mailing_list, Role(held.role), Actor.of(current_user))
        return redirect(url_for("users.edit", user_id=user.id))
    _audit(f"user.{action}", user)
    db.session.commit()
    return redirect(url_for("users.edit", user_id=user.id))
