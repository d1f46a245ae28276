"""Public self-service pages: subscribe (by the list's policy) and confirm (manage is in manage.py)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.lists.lookup import find_list
from app.mail.addresses import InvalidAddress
from app.membership.lines import parse_line
from app.membership.subscriptions import (
    Result,
    confirm,
    confirmation_links,
    request_subscription,
)
from app.models import MailingList, Member, SubscriptionPolicy, SystemMailKind
from app.panel.throttle import SUBSCRIBE_LIMIT, SUBSCRIBE_TARGET_LIMIT, limiter, subscribe_target_key
from app.sysmail.notices import build_notice, send_notice

selfservice = Blueprint("selfservice", __name__)


class SubscribeForm(FlaskForm):
    email = EmailField("Your email address", [DataRequired(), Length(max=320)])
    name = StringField("Your name (optional)", [Length(max=255)])
    website = StringField("Leave this empty")  # honeypot: people never see it, form-filling robots fill it
    submit = SubmitField("Subscribe")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")


def send_confirmation(mlist, member: Member) -> None:
    """Mail the double opt-in request with its reply address and web link."""
    reply_address, link = confirmation_links(mlist, member)
    body = (
        f"Someone (hopefully you) asked to subscribe {member.email} to {mlist.name} <{mlist.address}>.\n\n"
        f"To confirm, open this link:\n\n    {link}\n\nor reply to this message (its address is "
        f"{reply_address}).\n\nIf you did not ask for this, ignore this message; nothing will happen.\n"
    )
    notice = build_notice(
        mlist, member.email, f"Confirm your subscription to {mlist.name}", body, reply_to=reply_address
    )
    send_notice(mlist, notice, SystemMailKind.CONFIRMATION)


def policy_answer(mlist: MailingList) -> Result:
    """The page's answer: it depends on the list's policy only, never on the address (no membership probing)."""
    return {
        SubscriptionPolicy.OPEN: Result.SUBSCRIBED,
        SubscriptionPolicy.MODERATE: Result.AWAITING_APPROVAL,
    }.get(SubscriptionPolicy(mlist.subscription_policy), Result.CONFIRMATION_SENT)


@selfservice.route("/subscribe/<list_address>", methods=["GET", "POST"])
@limiter.limit(SUBSCRIBE_LIMIT, methods=["POST"])
@limiter.limit(SUBSCRIBE_TARGET_LIMIT, methods=["POST"], key_func=subscribe_target_key)
def subscribe(list_address: str):
    mlist = find_list(list_address)
    if mlist is None:
        abort(404)
    form = SubscribeForm()
    if form.validate_on_submit():
        if form.website.data:
            return render_template("public/subscribe_done.html", mlist=mlist, result=policy_answer(mlist))
        try:
            entry = parse_line(form.email.data, form.name.data or "")
        except InvalidAddress:
            form.email.errors.append("That does not look like an email address.")
        else:
            result, member = request_subscription(mlist, entry.email, entry.name)
            if result == Result.CONFIRMATION_SENT and member is not None:
                send_confirmation(mlist, member)
            # The same answer for members, banned addresses and strangers: no probing of the roster.
            return render_template("public/subscribe_done.html", mlist=mlist, result=policy_answer(mlist))
    return render_template("public/subscribe.html", mlist=mlist, form=form), (400 if form.errors else 200)


@selfservice.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_page(token: str):
    # GET only shows a button: mail scanners prefetch links, and a prefetch must not confirm anything.
    member = (
        db.session.scalar(select(Member).where(Member.confirm_token == token)) if len(token) <= 40 else None
    )
    form = ConfirmForm()
    if form.validate_on_submit():
        result, member = confirm(token)
        return render_template("public/confirm.html", member=member, result=result, form=None)
    if member is None:
        return render_template(
            "public/confirm.html", member=None, result=Result.INVALID_TOKEN, form=None
        ), 404
    return render_template("public/confirm.html", member=member, result=None, form=form)
