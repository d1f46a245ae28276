"""The Senders tab: always-allowed and banned senders, moderated members, the Approved: password; site bans.

Each route parses its form and calls app/moderation/senders.py or moderated.py, which validate and audit.
A list's page is for its owners and moderators; the site-wide bans page (mlist None) is for site admins.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from app.lists.settings import SettingsError, update_list_settings
from app.mail.addresses import InvalidAddress
from app.mail.patterns import ADDRESS
from app.models import MailingList, Role
from app.models.audit import Actor
from app.moderation import moderated as mod
from app.moderation import senders as svc
from app.moderation.bans import InvalidPattern, Preview, preview, typed_kind
from app.panel.access import list_for, require_admin, roles_on
from app.panel.list_forms import ConfirmForm
from app.panel.sender_forms import SITE_CHOICES, EntryForm, ImportForm, ModeratedForm, PasswordForm

senders = Blueprint("senders", __name__)
EXPORTS = {"csv": ("text/csv", svc.export_csv), "txt": ("text/plain", svc.export_text)}
PROBLEMS_SHOWN = 5


def _home(mlist: MailingList | None) -> str:
    if mlist is None:
        return url_for("senders.site")
    return url_for("senders.index", list_id=mlist.id)


def _which(value: str, mlist: MailingList | None) -> svc.SenderList:
    """The sender list named in a URL or form; 404 for an unknown one (or "allowed" site-wide)."""
    if value not in tuple(svc.SenderList) or (mlist is None and value != svc.SenderList.BANNED):
        abort(404)
    return svc.SenderList(value)


def _forms(mlist: MailingList | None, *forms) -> None:
    if mlist is None:
        for form in forms:
            form.which.choices = SITE_CHOICES


def _prefill(form: EntryForm, mlist: MailingList | None) -> None:
    """Open an entry for editing: ?edit=allowed:12."""
    which, _, entry_id = request.args.get("edit", "").partition(":")
    if not entry_id.isdigit():
        return
    found = svc.entry(_which(which, mlist), mlist, int(entry_id))
    if found is None:
        abort(404)
    form.which.data, form.pattern.data, form.entry_id.data = which, found.pattern, entry_id


def _store(form: EntryForm, mlist: MailingList | None, pattern: str) -> svc.Entry:
    which, actor = _which(form.which.data, mlist), Actor.of(current_user)
    if form.entry_id.data and form.entry_id.data.isdigit():
        return svc.edit(which, mlist, int(form.entry_id.data), pattern, actor)
    return svc.add(which, mlist, pattern, actor)


def _submit(form: EntryForm, mlist: MailingList | None) -> Preview | BaseResponse | None:
    """Preview what was typed; save it when it is an address, or a pattern whose preview was seen."""
    pattern = form.pattern.data.strip()
    try:
        exact = typed_kind(pattern) == ADDRESS
        found = preview(mlist, pattern)
        if form.save.data and (exact or form.previewed.data == pattern):
            saved = _store(form, mlist, pattern)
            flash(f"Saved {saved.pattern} ({saved.kind}) as {form.which.data}.", "success")
            return redirect(_home(mlist))
    except (InvalidPattern, LookupError) as exc:
        form.pattern.errors.append(str(exc))
        return None
    form.previewed.data, form.previewed.raw_data = pattern, [pattern]
    return found


def _page(mlist: MailingList | None):
    form = EntryForm()
    _forms(mlist, form)
    found = None
    if request.method == "GET":
        _prefill(form, mlist)
    elif form.validate_on_submit():
        result = _submit(form, mlist)
        if isinstance(result, BaseResponse):
            return result
        found = result
    return render_template("senders/index.html", **_context(mlist, form, found)), (
        400 if form.errors else 200
    )


def _context(mlist: MailingList | None, form: EntryForm, found: Preview | None) -> dict:
    import_form = ImportForm(formdata=None)
    _forms(mlist, import_form)
    context = {
        "mlist": mlist,
        "form": form,
        "preview": found,
        "import_form": import_form,
        "action_form": ConfirmForm(),
        "site_bans": svc.entries(svc.SenderList.BANNED, None),
    }
    if mlist is not None:
        context |= {
            "allowed": svc.entries(svc.SenderList.ALLOWED, mlist),
            "bans": svc.entries(svc.SenderList.BANNED, mlist),
            "moderated": mod.moderated_members(mlist),
            "moderated_form": ModeratedForm(formdata=None),
            "password_form": PasswordForm(formdata=None) if Role.OWNER in roles_on(mlist) else None,
        }
    return context


@senders.route("/lists/<int:list_id>/senders", methods=["GET", "POST"])
@login_required
def index(list_id: int):
    return _page(list_for(list_id))


@senders.route("/senders/site", methods=["GET", "POST"])
@login_required
def site():
    require_admin()
    return _page(None)


@senders.route("/lists/<int:list_id>/bans")
@login_required
def old_bans(list_id: int):
    """The Bans tab grew into the Senders tab; old links land there."""
    return redirect(url_for("senders.index", list_id=list_for(list_id).id))


def _delete(mlist: MailingList | None, which: str, entry_id: int):
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(_home(mlist))
    try:
        gone = svc.remove(_which(which, mlist), mlist, entry_id, Actor.of(current_user))
    except LookupError:
        abort(404)
    flash(f"Removed {gone.pattern} from the {which} senders.", "success")
    return redirect(_home(mlist))


@senders.route("/lists/<int:list_id>/senders/<which>/<int:entry_id>/delete", methods=["POST"])
@login_required
def delete(list_id: int, which: str, entry_id: int):
    return _delete(list_for(list_id), which, entry_id)


@senders.route("/senders/site/<int:entry_id>/delete", methods=["POST"])
@login_required
def site_delete(entry_id: int):
    require_admin()
    return _delete(None, svc.SenderList.BANNED, entry_id)


def _import(mlist: MailingList | None):
    form = ImportForm()
    _forms(mlist, form)
    if not form.validate_on_submit():
        flash("The form expired or was too large; please try again.", "error")
        return redirect(_home(mlist))
    upload = form.file.data
    text = upload.read(1_000_001).decode("utf-8", "replace") if upload else ""
    text = text or (form.lines.data or "")
    report = svc.import_lines(_which(form.which.data, mlist), mlist, text, Actor.of(current_user))
    flash(report.summary(), "success" if report.added or not report.problems else "error")
    for number, problem in report.problems[:PROBLEMS_SHOWN]:
        flash(f"Line {number}: {problem}", "error")
    return redirect(_home(mlist))


@senders.route("/lists/<int:list_id>/senders/import", methods=["POST"])
@login_required
def import_entries(list_id: int):
    return _import(list_for(list_id))


@senders.route("/senders/site/import", methods=["POST"])
@login_required
def site_import():
    require_admin()
    return _import(None)


def _export(mlist: MailingList | None, which: str, fmt: str) -> Response:
    if fmt not in EXPORTS:
        abort(404)
    mimetype, render = EXPORTS[fmt]
    name = f"{mlist.local_part if mlist else 'site'}-{which}.{fmt}"
    return Response(
        render(_which(which, mlist), mlist),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@senders.route("/lists/<int:list_id>/senders/<which>.<fmt>")
@login_required
def export(list_id: int, which: str, fmt: str):
    return _export(list_for(list_id), which, fmt)


@senders.route("/senders/site/banned.<fmt>")
@login_required
def site_export(fmt: str):
    require_admin()
    return _export(None, svc.SenderList.BANNED, fmt)


@senders.route("/lists/<int:list_id>/senders/moderated", methods=["POST"])
@login_required
def moderated(list_id: int):
    mlist, form = list_for(list_id), ModeratedForm()
    if not form.validate_on_submit():
        flash("Give a member's address and what happens to their posts.", "error")
        return redirect(_home(mlist))
    actor, address = Actor.of(current_user), form.address.data
    try:
        if form.action.data == "default":
            member = mod.release(mlist, address, actor)
            flash(f"{member.email} now posts under the list's own policy.", "success")
        else:
            member = mod.moderate(mlist, address, form.action.data, actor)
            flash(f"Posts from {member.email} are now: {form.action.data}.", "success")
    except (mod.NotAMember, InvalidAddress, ValueError) as exc:
        flash(str(exc), "error")
    return redirect(_home(mlist))


@senders.route("/lists/<int:list_id>/senders/password", methods=["POST"])
@login_required
def password(list_id: int):
    mlist, form = list_for(list_id, Role.OWNER), PasswordForm()
    if not form.validate_on_submit() or not (form.remove.data or form.password.data):
        flash("Type a password of at least 8 characters, or press “Remove password”.", "error")
        return redirect(_home(mlist))
    value = "" if form.remove.data else form.password.data
    try:
        update_list_settings(mlist, {"moderator_password": value}, Actor.of(current_user))
    except SettingsError as exc:
        flash(f"Not saved: {exc.first}.", "error")
        return redirect(_home(mlist))
    flash(
        "The Approved: password is removed." if form.remove.data else "The Approved: password is set.",
        "success",
    )
    return redirect(_home(mlist))
