"""/manage: ask for a link by address; the mailed link shows and changes every subscription of that address."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.lists.registry import SettingsError
from app.mail.addresses import InvalidAddress, normalise_address
from app.mail.tokens import TokenPurpose, verify, verify_data
from app.membership.address_change import SameAddress, move_address, request_move
from app.membership.member_settings import DELIVERY_CHOICES
from app.membership.selfservice import (
    NotYours,
    change_own,
    join_open_list,
    joinable_lists,
    leave,
    mail_manage_link,
    own_membership,
    reenable_own,
    subscriptions_of,
)
from app.membership.subscriptions import Result
from app.models import Member
from app.panel.ids import parse_id
from app.panel.throttle import MANAGE_LIMIT, MANAGE_TARGET_LIMIT, limiter, manage_target_key

manage = Blueprint("manage", __name__)
JOINED = {
    Result.SUBSCRIBED: "You joined the list.",
    Result.ALREADY_MEMBER: "You are on that list already.",
    Result.CONFIRMATION_SENT: "Check your mail: confirm with the link we sent.",
    Result.BANNED: "This address may not join that list.",
}


class AddressForm(FlaskForm):
    email = EmailField("Your email address", [DataRequired(), Length(max=320)])
    submit = SubmitField("Mail me a link")


class ActionForm(FlaskForm):
    """Only the CSRF token: the page's forms name their fields after the member-settings keys."""


@manage.route("/manage", methods=["GET", "POST"])
@limiter.limit(MANAGE_LIMIT, methods=["POST"])
@limiter.limit(MANAGE_TARGET_LIMIT, methods=["POST"], key_func=manage_target_key)
def request_link():
    form = AddressForm()
    if form.validate_on_submit():
        try:
            email = normalise_address(form.email.data or "")
        except InvalidAddress:
            form.email.errors.append("That does not look like an email address.")
        else:
            mail_manage_link(email)
            # The same page whether or not the address is subscribed: no probing of the rosters.
            return render_template("public/manage_sent.html")
    return render_template("public/manage_request.html", form=form), (400 if form.errors else 200)


def address_of(token: str) -> str:
    """The address a manage token proves: a member's link (footers, notices) or a mailed address link."""
    member_id = verify(TokenPurpose.MANAGE, token)
    if member_id is not None:
        member = db.session.get(Member, member_id)
        if member is not None:
            return member.email
    email = verify_data(TokenPurpose.ADDRESS, token)
    if not isinstance(email, str):
        abort(404)
    return email


def _act(email: str) -> tuple[str, bool]:
    """Carry out one posted action; the message to show and whether it was refused."""
    action, member_id = request.form.get("action", ""), parse_id(request.form.get("member_id", ""))
    try:
        if action == "join":
            return JOINED.get(
                join_open_list(email, parse_id(request.form.get("list_id", ""))), "Done."
            ), False
        if action == "move":
            return _move(email)
        member = own_membership(email, member_id)
        if action == "leave":
            leave(member)
            return f"You left {member.mailing_list.name}.", False
        if action == "reenable":
            done = reenable_own(member)
            return ("Delivery is back on." if done else "Delivery was not stopped for bounces."), not done
        changed = change_own(member, request.form)
        return (f"Saved {member.mailing_list.name}." if changed else "Nothing changed."), False
    except (NotYours, SameAddress) as exc:
        return str(exc), True
    except SettingsError as exc:
        return f"Not saved: {exc.first}.", True


def _move(email: str) -> tuple[str, bool]:
    try:
        new = normalise_address(request.form.get("new_email", ""))
    except InvalidAddress:
        return "The new address does not look like an email address.", True
    request_move(email, new)
    return f"Check the mailbox of {new}: the change happens when you confirm it there.", False


@manage.route("/manage/<token>", methods=["GET", "POST"])
def page(token: str):
    email = address_of(token)
    form = ActionForm()
    message, refused = "", False
    if request.method == "POST":
        if not form.validate_on_submit():
            message, refused = "The form expired; here is the page again, please retry.", True
        else:
            message, refused = _act(email)
    members = subscriptions_of(email)
    # One rendering of the token for the page's many small forms (wtforms renders a field in ~1 ms).
    token = Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
    page_html = render_template(
        "public/manage.html",
        email=email,
        members=members,
        joinable=joinable_lists(email, members),
        csrf_field=token,
        message=message,
        refused=refused,
        delivery_choices=DELIVERY_CHOICES,
    )
    return page_html, (400 if refused else 200)


@manage.route("/manage/move/<token>", methods=["GET", "POST"])
def move(token: str):
    # GET only shows a button: mail scanners prefetch links, and a prefetch must not move anything.
    pair = verify_data(TokenPurpose.MOVE, token)
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(a, str) for a in pair)):
        abort(404)
    old, new = pair
    form = ActionForm()
    result = move_address(old, new) if form.validate_on_submit() else None
    return render_template("public/manage_move.html", old=old, new=new, form=form, result=result)
