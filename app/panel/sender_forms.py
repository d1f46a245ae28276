"""The Senders tab's forms: one entry (add or edit, previewed when it is a pattern), import, moderated, password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.moderation.moderated import CHOICES as MODERATED_CHOICES
from app.moderation.senders import SenderList
from app.panel.list_forms import choices

LIST_CHOICES = choices(
    [
        (SenderList.ALLOWED.value, "Always allowed"),
        (SenderList.BANNED.value, "Banned"),
    ]
)
SITE_CHOICES = choices([(SenderList.BANNED.value, "Banned on every list")])


class EntryForm(FlaskForm):
    which = SelectField("Add to", choices=LIST_CHOICES)
    pattern = StringField(
        "Address, or a regular expression starting with ^", [DataRequired(), Length(max=500)]
    )
    entry_id = HiddenField()  # set when editing an entry
    previewed = HiddenField()  # the pattern whose preview the person has seen
    check = SubmitField("Preview")
    save = SubmitField("Save")


class ImportForm(FlaskForm):
    which = SelectField("Import into", choices=LIST_CHOICES)
    lines = TextAreaField(
        "One address or ^pattern a line (or an exported CSV)", [Optional(), Length(max=1_000_000)]
    )
    file = FileField("…or a file")
    submit = SubmitField("Import")


class ModeratedForm(FlaskForm):
    address = StringField("Member address", [DataRequired(), Length(max=320)])
    action = SelectField(
        "Their posts are",
        choices=choices([(c, c) for c in MODERATED_CHOICES] + [("default", "list default")]),
    )
    submit = SubmitField("Save")


class PasswordForm(FlaskForm):
    password = PasswordField("New password (at least 8 characters)", [Optional(), Length(max=200)])
    submit = SubmitField("Set password")
    remove = SubmitField("Remove password")
