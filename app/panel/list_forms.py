"""The panel's list forms: the settings form is built from the settings registry (app/lists/settings.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.lists.registry import Kind, Registry, Setting, SettingsError
from app.lists.settings import SETTINGS, Group


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _field(setting: Setting) -> Field:
    """A form field that only carries the text: the registry's parser is the one validation."""
    if setting.kind is Kind.CHOICE:
        return SelectField(setting.label, choices=choices(setting.choices), validate_choice=False)
    if setting.kind is Kind.FLAG:
        return BooleanField(setting.label)
    if setting.kind is Kind.SECRET:
        return PasswordField(setting.label)
    if setting.kind is Kind.LINES:
        return TextAreaField(setting.label)
    if setting.kind is Kind.NUMBER:
        return StringField(setting.label, render_kw={"inputmode": "numeric"})
    return StringField(setting.label)


CLEAR = "_clear"  # a secret's companion checkbox: remove it (an empty secret field keeps it)


def settings_form_class(*groups: Group) -> type[FlaskForm]:
    """A form class with one field per setting of the given groups (and a remove box per secret)."""
    attrs: dict[str, object] = {}
    for setting in SETTINGS:
        if setting.group in groups:
            attrs[setting.key] = _field(setting)
            if setting.kind is Kind.SECRET:
                attrs[setting.key + CLEAR] = BooleanField("Remove it")
    attrs["submit"] = SubmitField("Save settings")
    return type("ListSettingsForm", (FlaskForm,), attrs)


def registry_form_class(registry: Registry, submit: str) -> type[FlaskForm]:
    """A form class with one field per setting of a registry (the member form)."""
    attrs: dict[str, object] = {s.key: _field(s) for s in registry.settings}
    attrs["submit"] = SubmitField(submit)
    return type("RegistryForm", (FlaskForm,), attrs)


def raw_values(form: FlaskForm, *groups: str, settings: tuple[Setting, ...] = SETTINGS) -> dict[str, str]:
    """The form's settings (of groups, if given) as the text the registry parses; an empty secret keeps it."""
    raw: dict[str, str] = {}
    for setting in settings:
        if groups and setting.group not in groups:
            continue
        data = form[setting.key].data
        if setting.kind is Kind.FLAG:
            raw[setting.key] = "true" if data else "false"
        elif setting.kind is Kind.SECRET and setting.key + CLEAR in form and form[setting.key + CLEAR].data:
            raw[setting.key] = ""
        elif setting.kind is not Kind.SECRET or data:
            raw[setting.key] = "" if data is None else str(data)
    return raw


def show_errors(form: FlaskForm, error: SettingsError) -> None:
    """Put each bad setting's problem under its field."""
    for key, problem in error.problems.items():
        sentence = problem[:1].upper() + problem[1:] + ("" if problem.endswith(".") else ".")
        form[key].errors = [*form[key].errors, sentence]


def groups(*wanted: Group) -> dict[str, list[str]]:
    """Setting keys by group, in order, for the template."""
    out: dict[str, list[str]] = {}
    for setting in SETTINGS:
        if setting.group in wanted:
            keys = out.setdefault(str(setting.group), [])
            keys.append(setting.key)
            if setting.kind is Kind.SECRET:
                keys.append(setting.key + CLEAR)
    return out


class NewListForm(FlaskForm):
    address = StringField("List address", [DataRequired(), Length(max=320)])
    display_name = StringField("Display name", [Length(max=255)])
    submit = SubmitField("Create list")


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token."""

    submit = SubmitField("Confirm")
