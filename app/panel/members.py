"""A list's members: roster, add one, paste many, CSV import and export, per-member options, remove, ban."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.bodylimit import IMPORT_MAX_BYTES
from app.bounces.reenable import CannotReenable, reenable
from app.bounces.scoring import DISABLED_FOR_BOUNCES
from app.extensions import db
from app.jobs.queues import Job, enqueue
from app.lists.registry import SettingsError
from app.mail.addresses import InvalidAddress
from app.membership.bulk_add import ADD_MODE_CHOICES, AddMode, add_by_mode
from app.membership.export import csv_chunks
from app.membership.lines import parse_line, parse_lines
from app.membership.member_settings import DELIVERY_CHOICES, MEMBER_SETTINGS
from app.membership.members import (
    add_members,
    member_settings,
    remove_members,
    update_member,
    update_members,
)
from app.membership.reenable import disabled_for, enable_members
from app.membership.subscriptions import approve
from app.models import Bounce, Member, MemberImport, MemberStatus, Role
from app.models.audit import Actor, record
from app.moderation.bans import banned_by
from app.panel.access import list_for
from app.panel.ids import parse_id
from app.panel.list_forms import ConfirmForm, choices, raw_values, registry_form_class, show_errors
from app.panel.roster import PAGE_SIZE, numbered_page

members = Blueprint("members", __name__, url_prefix="/lists")
EXPORT_BATCH = 2000
MAX_UPLOAD = IMPORT_MAX_BYTES


class AddForm(FlaskForm):
    address = StringField("Address (or Name <address>)", [DataRequired(), Length(max=600)])
    submit = SubmitField("Add member")


class PasteForm(FlaskForm):
    lines = TextAreaField("One per line: address, or Name <address>", [DataRequired(), Length(max=2_000_000)])
    mode = RadioField("How", choices=choices(ADD_MODE_CHOICES), default=AddMode.SILENT.value)
    submit = SubmitField("Add them")


class ImportForm(FlaskForm):
    file = FileField("CSV file (email[,name], or a header row naming email and name)", [FileRequired()])
    submit = SubmitField("Import")


MemberForm = registry_form_class(MEMBER_SETTINGS, "Save member")


def _audit(action: str, mlist, **details) -> None:
    record(action, current_user.email, "list", mlist.id, mlist.id, current_user.id, **details)


@members.route("/<int:list_id>/members")
@login_required
def roster(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    query, status = request.args.get("q", "")[:320], request.args.get("status", "")
    sort = request.args.get("sort", "email")
    rows, page = numbered_page(mlist.id, query, status, request.args.get("page", ""), sort)
    return render_template(
        "members/roster.html",
        mlist=mlist,
        rows=rows,
        page=page,
        sort=sort,
        q=query,
        status=status,
        add_form=AddForm(),
        action_form=ConfirmForm(),
        statuses=[s.value for s in MemberStatus],
        bounce_disabled=disabled_for(mlist, DISABLED_FOR_BOUNCES),
        delivery_choices=DELIVERY_CHOICES,
        enable_form=ConfirmForm(),
    )


@members.route("/<int:list_id>/members/enable-bounced", methods=["POST"])
@login_required
def enable_bounced(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = enable_members(mlist, DISABLED_FOR_BOUNCES, Actor.of(current_user))
    flash(f"Re-enabled {count} member{'' if count == 1 else 's'} disabled for bounces.")
    return redirect(url_for("members.roster", list_id=mlist.id))


@members.route("/<int:list_id>/members/remove", methods=["POST"])
@login_required
def remove_selected(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = _selected(mlist.id)
    if not chosen:
        flash("Select members first: tick the box in front of each one.", "error")
        return redirect(request.referrer or url_for("members.roster", list_id=mlist.id))
    emails = [m.email for m in chosen]
    remove_members(mlist, chosen, Actor.of(current_user))
    flash(f"Unsubscribed {len(chosen)} (by the owner): {', '.join(emails)}.")
    return redirect(url_for("members.roster", list_id=mlist.id))


@members.route("/<int:list_id>/members/delivery", methods=["POST"])
@login_required
def set_delivery(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = _selected(mlist.id)
    if not chosen:
        flash("Select members first: tick the box in front of each one.", "error")
        return redirect(request.referrer or url_for("members.roster", list_id=mlist.id))
    try:
        count = update_members(
            mlist, chosen, {"delivery": request.form.get("delivery", "")}, Actor.of(current_user)
        )
    except SettingsError as exc:
        flash(f"Nothing changed: {exc.first}.", "error")
    else:
        flash(f"Delivery changed for {count} of the {len(chosen)} selected.")
    return redirect(request.referrer or url_for("members.roster", list_id=mlist.id))


def _selected(list_id: int) -> list[Member]:
    """The members ticked on the roster page (at most a page of them), of this list only."""
    ids = [i for i in map(parse_id, request.form.getlist("member_id")) if i is not None][:PAGE_SIZE]
    return list(db.session.scalars(select(Member).where(Member.list_id == list_id, Member.id.in_(ids))))


@members.route("/<int:list_id>/members/add", methods=["POST"])
@login_required
def add(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = AddForm()
    if form.validate_on_submit():
        try:
            entry = parse_line(form.address.data)
        except InvalidAddress as exc:
            flash(f"Nothing was added: {exc.in_words()}", "error")
        else:
            added, _ = add_members(mlist.id, [entry])
            _audit("member.add", mlist, email=entry.email)
            db.session.commit()
            if added:
                flash(f"Added {entry.email}.")
            else:
                flash(f"{entry.email} is already on the list.", "info")
            ban = banned_by(mlist.id, entry.email)
            if added and ban:  # the owner's word stands, but they should know
                flash(f"Note: {entry.email} is banned from this list ({ban}); it may not post.")
    else:
        flash("Type an address to add, e.g. Ann Example <ann@example.net>.", "error")
    return redirect(url_for("members.roster", list_id=mlist.id))


@members.route("/<int:list_id>/members/paste", methods=["GET", "POST"])
@login_required
def paste(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = PasteForm()
    result = None
    if form.validate_on_submit():
        good, bad = parse_lines((form.lines.data or "").splitlines())
        mode = AddMode(form.mode.data)
        _audit("member.paste", mlist, mode=mode.value, count=len(good), invalid=len(bad))
        added, existing = add_by_mode(mlist, good, mode)
        result = {"added": added, "existing": existing, "bad": bad, "invited": mode is AddMode.INVITE}
        form.lines.data = "\n".join(b.text for b in bad)  # what is left to fix
    return render_template("members/paste.html", mlist=mlist, form=form, result=result)


@members.route("/<int:list_id>/members/import", methods=["GET", "POST"])
@login_required
def upload(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            form.file.errors.append(
                "The file is larger than 50 MB; split it or use `mailflow members import`."
            )
        else:
            job = MemberImport(
                list_id=mlist.id,
                user_id=current_user.id,
                data=data,
                filename=(form.file.data.filename or "upload.csv")[:255],
            )
            db.session.add(job)
            db.session.flush()
            _audit("member.import", mlist, import_id=job.id, filename=job.filename)
            db.session.commit()
            enqueue(Job.IMPORT_MEMBERS, job.id)
            return redirect(url_for("members.import_status", list_id=mlist.id, import_id=job.id))
    recent = db.session.scalars(
        select(MemberImport)
        .where(MemberImport.list_id == mlist.id)
        .order_by(MemberImport.id.desc())
        .limit(10)
    ).all()
    return render_template("members/import.html", mlist=mlist, form=form, recent=recent)


@members.route("/<int:list_id>/members/import/<int:import_id>")
@login_required
def import_status(list_id: int, import_id: int):
    mlist = list_for(list_id, Role.OWNER)
    job = db.session.get(MemberImport, import_id)
    if job is None or job.list_id != mlist.id:
        abort(404)
    if request.args.get("format") == "json":
        return {
            "status": job.status,
            "percent": job.percent,
            "processed": job.processed,
            "total": job.total,
            "added": job.added,
            "existing": job.existing,
            "invalid": job.invalid,
        }
    return render_template("members/import_status.html", mlist=mlist, job=job)


@members.route("/<int:list_id>/members/export.csv")
@login_required
def export(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    _audit("member.export", mlist)
    db.session.commit()
    list_key = mlist.id

    chunks = csv_chunks(list_key, batch=EXPORT_BATCH)
    filename = f"{mlist.local_part}-members.csv"
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _member(mlist_id: int, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.list_id != mlist_id:
        abort(404)
    return member


@members.route("/<int:list_id>/members/<int:member_id>", methods=["GET", "POST"])
@login_required
def edit(list_id: int, member_id: int):
    mlist = list_for(list_id, Role.OWNER)
    member = _member(mlist.id, member_id)
    form = MemberForm(data=member_settings(member))
    if form.validate_on_submit():
        raw = raw_values(form, settings=MEMBER_SETTINGS.settings)
        try:
            update_member(member, raw, Actor.of(current_user))
        except SettingsError as exc:
            show_errors(form, exc)
        else:
            flash(f"Saved {member.email}.")
            return redirect(url_for("members.edit", list_id=mlist.id, member_id=member.id))
    return render_template(
        "members/edit.html",
        mlist=mlist,
        member=member,
        form=form,
        action_form=ConfirmForm(),
        bounces=recent_bounces(member),
    )


def _reenable(mlist, member: Member):
    try:
        reenable(member, by_owner=True)
        flash(f"Re-enabled {member.email}: bounce score back to 0.")
    except CannotReenable as exc:
        flash(str(exc))
    return redirect(url_for("members.edit", list_id=mlist.id, member_id=member.id))


def recent_bounces(member: Member, limit: int = 20) -> list[Bounce]:
    """The member's latest bounces, counted or not (delays and automatic replies among them)."""
    return list(
        db.session.scalars(
            select(Bounce).where(Bounce.member_id == member.id).order_by(Bounce.id.desc()).limit(limit)
        )
    )


@members.route(
    "/<int:list_id>/members/<int:member_id>/<any(remove, ban, approve, reenable):action>", methods=["POST"]
)
@login_required
def act(list_id: int, member_id: int, action: str):
    mlist = list_for(list_id, Role.OWNER)
    member = _member(mlist.id, member_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "approve":
        _audit("member.approve", mlist, email=member.email)
        approve(member)
        flash(f"Approved {member.email}.")
        return redirect(url_for("members.edit", list_id=mlist.id, member_id=member.id))
    if action == "reenable":
        _audit("member.reenable", mlist, email=member.email)
        return _reenable(mlist, member)
    email = member.email
    remove_members(mlist, [member], Actor.of(current_user), ban=action == "ban")
    flash(
        f"{email} is banned and unsubscribed."
        if action == "ban"
        else f"{email} is unsubscribed (by the owner); adding the address again subscribes it again."
    )
    return redirect(url_for("members.roster", list_id=mlist.id))
