"""The ordered filter-rule editor of a list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField

from app.extensions import db
from app.lists.filter_rules import FilterRuleError, add_filter_rule
from app.models import FilterAction, FilterCondition, FilterRule, Role
from app.models.audit import Actor, record
from app.panel.access import list_for
from app.panel.list_forms import ConfirmForm, choices

rules = Blueprint("rules", __name__, url_prefix="/lists")


class RuleForm(FlaskForm):
    """Only carries the fields: app/lists/filter_rules.py (the pipeline's check) validates them."""

    condition = SelectField(
        "When",
        choices=choices((c.value, c.value.replace("_", " ")) for c in FilterCondition),
        validate_choice=False,
    )
    header = StringField("Header name (for a header rule)")
    pattern = StringField("Pattern (regex; bytes for size; type/subtype for MIME; optional for spam)")
    action = SelectField(
        "Then",
        choices=choices((a.value, a.value) for a in FilterAction),
        validate_choice=False,
        default=FilterAction.HOLD.value,  # the safe default: a new rule holds, it does not let posts through
    )
    reason = StringField("Reason shown to moderators and in reject notices")
    submit = SubmitField("Add rule")


@rules.route("/<int:list_id>/rules", methods=["GET", "POST"])
@login_required
def index(list_id: int):
    mlist = list_for(list_id, Role.OWNER)
    form = RuleForm()
    if form.validate_on_submit():
        try:
            add_filter_rule(
                mlist,
                form.condition.data,
                form.header.data or "",
                form.pattern.data or "",
                form.action.data,
                form.reason.data or "",
                Actor.of(current_user),
            )
        except FilterRuleError as exc:
            form.pattern.errors = [*form.pattern.errors, *exc.problems]
        else:
            flash("Rule added.")
            return redirect(url_for("rules.index", list_id=mlist.id))
    ordered = db.session.scalars(
        select(FilterRule).where(FilterRule.list_id == mlist.id).order_by(FilterRule.position, FilterRule.id)
    ).all()
    return render_template(
        "rules/index.html", mlist=mlist, form=form, rules=ordered, action_form=ConfirmForm()
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
