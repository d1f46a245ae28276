"""The ordered filter-rule editor of a list."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db
from app.models import FilterAction, FilterCondition, FilterRule, Role
from app.models.audit import record
from app.panel.access import list_for
from app.panel.list_forms import ConfirmForm, choices

rules = Blueprint("rules", __name__, url_prefix="/lists")
HEADER_NAME = re.compile(r"^[!-9;-~]{1,255}$")  # RFC 5322 field name: printable ASCII but ':'


class RuleForm(FlaskForm):
    condition = SelectField(
        "When", choices=choices((c.value, c.value.replace("_", " ")) for c in FilterCondition)
    )
    header = StringField("Header name (for a header rule)", [Optional(), Length(max=255)])
    pattern = StringField(
        "Pattern (regex; bytes for size; type/subtype for MIME)", [DataRequired(), Length(max=2000)]
    )
    action = SelectField("Then", choices=choices((a.value, a.value) for a in FilterAction))
    reason = StringField("Reason shown to moderators and in reject notices", [Length(max=500)])
    submit = SubmitField("Add rule")


def pattern_problem(condition: str, header: str, pattern: str) -> str:
    """What is wrong with a rule's fields, or ''."""
    if condition == FilterCondition.HEADER and not HEADER_NAME.match(header or ""):
        return "A header rule needs a header name (e.g. X-Spam-Flag)."
    if condition == FilterCondition.SIZE:
        return "" if pattern.strip().isdecimal() else "A size rule needs a number of bytes."
    if condition == FilterCondition.MIME_TYPE:
        return (
            ""
            if re.fullmatch(r"[\w.+-]+/[\w.+*-]+", pattern.strip())
            else "Give a MIME type like application/zip."
        )
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}"
    return ""


@rules.route("/<int:list_id>/rules", methods=["GET", "POST"])
@login_required
def index(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = RuleForm()
    if form.validate_on_submit():
        problem = pattern_problem(form.condition.data, (form.header.data or "").strip(), form.pattern.data)
        if problem:
            form.pattern.errors.append(problem)
        else:
            last = db.session.scalar(
                select(func.max(FilterRule.position)).where(FilterRule.list_id == mlist.id)
            )
            rule = FilterRule(
                list_id=mlist.id,
                position=(last or 0) + 1,
                condition=form.condition.data,
                header=(form.header.data or "").strip(),
                pattern=(form.pattern.data or "").strip(),
                action=form.action.data,
                reason=" ".join((form.reason.data or "").split()),
            )
            db.session.add(rule)
            record(
                "rule.add",
                current_user.email,
                "list",
                mlist.id,
                mlist.id,
                current_user.id,
                condition=rule.condition,
                pattern=rule.pattern,
                then=rule.action,
            )
            db.session.commit()
            flash("Rule added.")
            return redirect(url_for("rules.index", list_id=mlist.id))
    ordered = db.session.scalars(
        select(FilterRule).where(FilterRule.list_id == mlist.id).order_by(FilterRule.position, FilterRule.id)
    ).all()
    return render_template(
        "lists/rules.html", mlist=mlist, form=form, rules=ordered, action_form=ConfirmForm()
    ), (400 if form.errors else 200)


def _rule(mlist_id: int, rule_id: int) -> FilterRule:
    rule = db.session.get(FilterRule, rule_id)
    if rule is None or rule.list_id != mlist_id:
        abort(404)
    return rule


@rules.route("/<int:list_id>/rules/<int:rule_id>/<any(up, down, delete):move>", methods=["POST"])
@login_required
def change(list_id: int, rule_id: int, move: str):
    mlist = list_for(list_id, Role.OWNER)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.")
        return redirect(url_for("rules.index", list_id=mlist.id))
    rule = _rule(mlist.id, rule_id)
    ordered = list(
        db.session.scalars(
            select(FilterRule)
            .where(FilterRule.list_id == mlist.id)
            .order_by(FilterRule.position, FilterRule.id)
        )
    )
    index = ordered.index(rule)
    if move == "delete":
        ordered.remove(rule)
        db.session.delete(rule)
    else:
        other = index - 1 if move == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, 1):
        item.position = position
    record(f"rule.{move}", current_user.email, "list", mlist.id, mlist.id, current_user.id, rule=rule_id)
    db.session.commit()
    return redirect(url_for("rules.index", list_id=mlist.id))
