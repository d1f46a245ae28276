"""Log in and out; change your own password."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.accounts.invitations import accept_invitation, invited_user
from app.extensions import db
from app.models import User
from app.models.audit import record
from app.panel.throttle import LOGIN_LIMIT, limiter, login_key

auth = Blueprint("auth", __name__)
MIN_PASSWORD = 10
PASSWORD_LENGTH = f"Use at least {MIN_PASSWORD} characters (and at most 1024)."


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=1024, message=PASSWORD_LENGTH)],
    )
    repeat = PasswordField("New password again", validators=[EqualTo("new", "The two passwords differ.")])
    submit = SubmitField("Change password")


@cache
def _dummy_hash() -> str:
    """Checked when the email is unknown, so a miss costs as much time as a wrong password."""
    return generate_password_hash("no such user")


def safe_next(target: str | None) -> str:
    """Only same-host relative paths are followed after login."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("dashboard.index")


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=login_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == (form.email.data or "").strip().lower()))
        # One hash check whether the account is unknown, deactivated or active: timing tells nothing.
        password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), form.password.data)
        if user is not None and user.active and password_ok:
            session.clear()  # a fresh session at login: no fixation
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("Wrong email or password.")
    return render_template("auth/login.html", form=form), (200 if not form.errors else 401)


@auth.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.end_sessions()  # a copied cookie of this session stops working too (and other devices')
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@auth.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.is_submitted():
        valid = form.validate()  # every field's error at once, the current password's too
        if (
            "csrf_token" not in form.errors
            and form.current.data
            and not current_user.check_password(form.current.data)
        ):
            form.current.errors = [*form.current.errors, "That is not your current password."]
            valid = False
        if valid:
            current_user.set_password(form.new.data)  # rotates the session token: other sessions end
            record("user.password", current_user.email, "user", current_user.id, user_id=current_user.id)
            db.session.commit()
            session.clear()
            login_user(current_user)  # this session carries on with the new token
            flash("Your password is changed; every other session is logged out.")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form), (200 if not form.errors else 400)


class InvitationForm(FlaskForm):
    new = PasswordField("Choose a password", validators=[DataRequired(), Length(min=MIN_PASSWORD, max=1024)])
    repeat = PasswordField("The password again", validators=[EqualTo("new", "The two passwords differ.")])
    submit = SubmitField("Set password and log in")


@auth.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """An invited owner or moderator sets their first password here (the link works once)."""
    user = invited_user(token[:1000])
    if user is None:
        return render_template("auth/invite_used.html"), 404
    form = InvitationForm()
    if form.validate_on_submit():
        accept_invitation(user, form.new.data)
        login_user(user)
        flash("Your password is set and you are logged in.")
        return redirect(url_for("dashboard.index"))
    return render_template("auth/invite.html", form=form, email=user.email), (200 if not form.errors else 400)
