"""API tokens in the panel: create a named token (its secret shown once), see when each was used, revoke.

Each user manages their own; a site admin sees and may revoke everyone's. The service is
app/accounts/tokens.py, the same one `mailflow users token|tokens|revoke-token` calls.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.accounts.tokens import create_token, revoke_token, tokens_of
from app.extensions import db
from app.models.api_tokens import ApiToken
from app.models.audit import Actor
from app.panel.list_forms import ConfirmForm

tokens = Blueprint("tokens", __name__, url_prefix="/account/tokens")
NO_STORE = {"Cache-Control": "no-store"}  # the page that shows a secret must not be kept by the browser


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Name the token after what uses it."), Length(max=100)]
    )
    submit = SubmitField("Create token")


def _everyones() -> list[ApiToken]:
    """Every user's tokens, newest first (site admins only)."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc()).limit(500)))


def _page(form: NewTokenForm, secret: str = "", status: int = 200):
    others = [t for t in _everyones() if t.user_id != current_user.id] if current_user.is_admin else []
    page = render_template(
        "tokens/index.html",
        form=form,
        mine=tokens_of(current_user),
        others=others,
        secret=secret,
        action_form=ConfirmForm(),
    )
    return page, status, NO_STORE


@tokens.get("/")
@login_required
def index():
    return _page(NewTokenForm())


@tokens.post("/")
@login_required
def create():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    _, secret = create_token(current_user, form.name.data or "", Actor.of(current_user))
    return _page(NewTokenForm(formdata=None), secret=secret, status=201)


@tokens.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not (token.user_id == current_user.id or current_user.is_admin):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = revoke_token(token, Actor.of(current_user))
    flash(f"Token “{token.name}” is revoked." if done else f"Token “{token.name}” was already revoked.")
    return redirect(url_for("tokens.index"))
