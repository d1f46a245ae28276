"""Public routes that need no account: health and readiness checks, unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import text

from app.extensions import csrf, db
from app.mail.tokens import TokenPurpose, manage_url, verify
from app.membership.subscriptions import unsubscribe as unsubscribe_member
from app.models import Member, MemberStatus
from app.public.manage import manage
from app.public.readiness import readiness
from app.public.subscribe import selfservice

public = Blueprint("public", __name__)
public.register_blueprint(selfservice)  # subscribe, confirm: endpoints public.selfservice.*
public.register_blueprint(manage)  # /manage and the pages its links open: endpoints public.manage.*


@public.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@public.route("/readyz")
def readyz():
    body, status = readiness()
    return body, status, {"Cache-Control": "no-store"}


def _member_from(token: str) -> Member:
    member_id = verify(TokenPurpose.UNSUBSCRIBE, token)
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        abort(404)
    return member


@public.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe_page(token: str):
    member = _member_from(token)
    done = (
        member.status == MemberStatus.UNSUBSCRIBED
    )  # the same link again: say it is done, offer the way back
    return render_template(
        "public/unsubscribe.html", member=member, done=done, again=done, manage=manage_url(member.id)
    )


@public.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058: mail clients POST without cookies or a form token; the signed URL is the proof.
def unsubscribe(token: str):
    member = _member_from(token)
    if member.status != MemberStatus.UNSUBSCRIBED:  # the same link again is not a second event
        unsubscribe_member(member)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("public/unsubscribe.html", member=member, done=True, manage=manage_url(member.id))
