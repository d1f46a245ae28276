"""The archive's pages: thin views over app.archive's queries, each behind the list's archive policy."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.archive import attachments, mbox, mime, queries
from app.archive.access import Reader, Refusal, admit, reader_for, refusal
from app.archive.invites import mail_access_link
from app.archive.months import months
from app.archive.removal import remove_message
from app.archive.render import show
from app.archive.search import parse_query, search
from app.archive.text import obfuscate
from app.lists.lookup import find_list
from app.models import ArchivedMessage, ArchivePolicy, MailingList
from app.panel.throttle import SUBSCRIBE_LIMIT, limiter

archive = Blueprint("archive", __name__, url_prefix="/archive")
archive.add_app_template_filter(obfuscate, "obfuscate")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class AccessForm(FlaskForm):
    email = EmailField("Your address on the list", [DataRequired(), Length(max=320)])
    submit = SubmitField("Mail me a link")


class RemoveForm(FlaskForm):
    reason = StringField("Why (kept in the audit log)", [Length(max=500)])
    submit = SubmitField("Remove from the archive")


@archive.after_request
def strict_headers(response: Response) -> Response:
    """No script, no remote content, no framing; non-public archives stay out of search engines."""
    response.headers["Content-Security-Policy"] = CSP
    mlist = g.get("archive_list")
    if mlist is None or mlist.archive_policy != ArchivePolicy.PUBLIC:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _refused(mlist: MailingList, why: Refusal):
    form = AccessForm() if why == Refusal.MEMBERS else None
    login = url_for("auth.login", next=request.full_path)
    abort(
        make_response(
            render_template("archive/refused.html", mlist=mlist, why=why, form=form, login=login), 403
        )
    )


def open_archive(list_address: str) -> tuple[MailingList, Reader]:
    """The list and its reader, or the refusal: 404 when there is no archive, 403 with a way in otherwise."""
    mlist = find_list(list_address)
    if mlist is None:
        abort(404)
    g.archive_list = mlist
    reader = reader_for(mlist)
    why = refusal(mlist, reader)
    if why == Refusal.NO_ARCHIVE:
        abort(404)
    if why is not None:
        _refused(mlist, why)
    return mlist, reader


def hide_addresses(mlist: MailingList, reader: Reader) -> bool:
    """Addresses are shortened on public archives (a list setting) for readers who are not on the list."""
    return (
        mlist.archive_policy == ArchivePolicy.PUBLIC
        and mlist.archive_obfuscate
        and not reader.may_see_addresses
    )


@archive.route("/<list_address>")
@archive.route("/<list_address>/")
def index(list_address: str):
    mlist, reader = open_archive(list_address)
    return render_template("archive/index.html", mlist=mlist, reader=reader, months=months(mlist.id))


def _page() -> int:
    text = request.args.get("page", "1")
    return max(1, int(text)) if text.isdecimal() and len(text) < 6 else 1


@archive.route("/<list_address>/<month>")
def month(list_address: str, month: str):
    if not MONTH.fullmatch(month):
        abort(404)
    mlist, reader = open_archive(list_address)
    threads, more = queries.month_threads(mlist.id, month, _page())
    hide = hide_addresses(mlist, reader)
    return render_template(
        "archive/month.html", mlist=mlist, month=month, threads=threads, more=more, page=_page(), hide=hide
    )


def _message(mlist: MailingList, key: str, content: bool = True) -> ArchivedMessage:
    row = queries.by_key(mlist.id, key, content)
    if row is None:
        abort(404)
    return row


@archive.route("/<list_address>/t/<path:key>")
def thread(list_address: str, key: str):
    mlist, reader = open_archive(list_address)
    row = _message(mlist, key, content=False)
    entries, total = queries.thread_tree(row.thread_id or row.id, _page())
    return render_template(
        "archive/thread.html", mlist=mlist, row=row, entries=entries, total=total, page=_page(),
        per_page=queries.THREAD_PAGE, hide=hide_addresses(mlist, reader),
    )  # fmt: skip


@archive.route("/<list_address>/m/<path:key>")
def message(list_address: str, key: str):
    mlist, reader = open_archive(list_address)
    row = _message(mlist, key)
    if row.removed_at is not None:
        return render_template("archive/tombstone.html", mlist=mlist, row=row), 410
    before, after = queries.neighbours(row)
    shown = show(row.raw, hide_addresses(mlist, reader))
    form = RemoveForm() if reader.owner else None
    return render_template(
        "archive/message.html", mlist=mlist, row=row, shown=shown, before=before, after=after,
        reader=reader, form=form,
    )  # fmt: skip


@archive.route("/<list_address>/raw/<path:key>")
def raw(list_address: str, key: str):
    mlist, reader = open_archive(list_address)
    if not reader.staff:
        abort(403)
    row = _message(mlist, key)
    if row.removed_at is not None:
        abort(410)
    return Response(row.raw, mimetype="text/plain", headers={"Content-Disposition": "inline"})


@archive.route("/<list_address>/att/<int:index>/<path:key>")
def attachment(list_address: str, index: int, key: str):
    mlist, _ = open_archive(list_address)
    row = _message(mlist, key)
    leaf = attachments.find(row.raw, index) if row.removed_at is None else None
    if leaf is None:
        abort(404)
    name = attachments.safe_filename(leaf.filename, leaf.index, leaf.content_type)
    headers = {
        "Content-Disposition": attachments.content_disposition(name),
        "X-Content-Type-Options": "nosniff",
    }
    return Response(mime.payload_bytes(leaf.part), mimetype="application/octet-stream", headers=headers)


@archive.route("/<list_address>/search")
def search_page(list_address: str):
    mlist, reader = open_archive(list_address)
    query, problems = parse_query(request.args)
    hits, more = ([], False) if problems else search(mlist.id, query, hide_addresses(mlist, reader))
    return render_template(
        "archive/search.html", mlist=mlist, query=query, problems=problems, hits=hits, more=more
    )


@archive.route("/<list_address>/export.mbox")
def export(list_address: str):
    mlist, _ = open_archive(list_address)
    wanted = request.args.get("month", "")
    if wanted and not MONTH.fullmatch(wanted):
        return Response("month must be YYYY-MM\n", status=400, mimetype="text/plain")
    name = f"{mlist.local_part}{'-' + wanted if wanted else ''}.mbox"
    body = stream_with_context(mbox.stream(queries.export_rows(mlist.id, wanted or None)))
    headers = {"Content-Disposition": attachments.content_disposition(name)}
    return Response(body, mimetype="application/mbox", headers=headers)


@archive.route("/<list_address>/atom.xml")
def atom(list_address: str):
    mlist, reader = open_archive(list_address)
    if mlist.archive_policy != ArchivePolicy.PUBLIC:
        abort(404)
    rows = queries.latest(mlist.id)
    body = render_template("archive/atom.xml", mlist=mlist, rows=rows, hide=hide_addresses(mlist, reader))
    return Response(body, mimetype="application/atom+xml")


@archive.route("/<list_address>/remove/<path:key>", methods=["POST"])
def remove(list_address: str, key: str):
    mlist, reader = open_archive(list_address)
    if not reader.owner:
        abort(403)
    row = _message(mlist, key)
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    remove_message(row, current_user.email, current_user.id, form.reason.data or "")
    return redirect(url_for("archive.message", list_address=mlist.address, key=row.key))


@archive.route("/<list_address>/access", methods=["POST"])
@limiter.limit(SUBSCRIBE_LIMIT)
def request_access(list_address: str):
    mlist = find_list(list_address)
    if mlist is None or mlist.archive_policy != ArchivePolicy.MEMBERS:
        abort(404)
    g.archive_list = mlist
    form = AccessForm()
    if not form.validate_on_submit():
        return render_template(
            "archive/refused.html", mlist=mlist, why=Refusal.MEMBERS, form=form, login=None
        ), 400
    mail_access_link(mlist, form.email.data or "")
    return render_template("archive/access_sent.html", mlist=mlist)  # the same answer for any address


@archive.route("/<list_address>/access/<token>")
def access(list_address: str, token: str):
    mlist = find_list(list_address)
    if mlist is None or mlist.archive_policy == ArchivePolicy.NONE or not admit(mlist, token):
        abort(404)
    return redirect(url_for("archive.index", list_address=mlist.address))
