"""List settings as data: each row is (group, column, field); adding a setting is one line here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models import ArchivePolicy, MailingList, NonmemberAction, PostingPolicy, SubscriptionPolicy


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(enum_class) -> list[SelectChoice]:
    return choices((item.value, item.value.replace("_", " ")) for item in enum_class)


REPLY_TO_MODES = choices(
    [
        ("leave", "Leave the author's Reply-To"),
        ("list", "Replies go to the list"),
        ("explicit", "Replies go to the address below"),
    ]
)
DMARC_MODES = choices(
    [
        ("auto", "Rewrite From only for p=quarantine/reject authors"),
        ("always", "Always rewrite From to the list"),
        ("off", "Never rewrite From"),
    ]
)
ARCHIVE_POLICIES = choices(
    [
        (ArchivePolicy.NONE.value, "No archive"),
        (ArchivePolicy.PRIVATE.value, "Private: owners and moderators"),
        (ArchivePolicy.MEMBERS.value, "Members: also the list's members, by a mailed link"),
        (ArchivePolicy.PUBLIC.value, "Public: anyone"),
    ]
)
DMARC_AUTHOR_FIELDS = choices([("reply-to", "Author goes to Reply-To"), ("cc", "Author goes to Cc")])


def _suspicious_lines(form, field) -> None:
    from wtforms.validators import ValidationError

    from app.pipeline.rules.shape import suspicious_rules

    try:
        suspicious_rules(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _mime_type_lines(form, field) -> None:
    from wtforms.validators import ValidationError

    for line in (field.data or "").splitlines():
        kind = line.strip()
        if kind and (kind.count("/") != 1 or " " in kind):
            raise ValidationError(f"{kind!r} is not a MIME type (type/subtype or type/*).")


SETTINGS: list[tuple[str, str, object]] = [
    ("About", "display_name", StringField("Display name", [DataRequired(), Length(max=255)])),
    ("About", "description", TextAreaField("Description", [Length(max=5000)])),
    ("Policies", "subscription_policy", SelectField("Subscription", choices=_choices(SubscriptionPolicy))),
    ("Policies", "posting_policy", SelectField("Who may post", choices=_choices(PostingPolicy))),
    (
        "Policies",
        "nonmember_action",
        SelectField("Posts from non-members", choices=_choices(NonmemberAction)),
    ),
    ("Policies", "emergency", BooleanField("Emergency moderation: hold every post")),
    (
        "Policies",
        "hold_days",
        IntegerField("Days a held post waits before it expires", [NumberRange(1, 365)]),
    ),
    (
        "Policies",
        "require_explicit_destination",
        BooleanField("Hold posts that do not name the list in To or Cc"),
    ),
    ("Policies", "administrivia", BooleanField("Hold 'subscribe'/'unsubscribe' requests sent to the list")),
    (
        "Policies",
        "max_recipients",
        IntegerField("Hold posts with more recipients than (0 = no limit)", [NumberRange(0, 10_000)]),
    ),
    (
        "Policies",
        "suspicious_headers",
        TextAreaField(
            "Hold posts whose header matches (one 'Name: regex' a line)",
            [Length(max=5000), _suspicious_lines],
        ),
    ),
    ("Outgoing mail", "subject_prefix", StringField("Subject prefix", [Length(max=255)])),
    ("Outgoing mail", "reply_to_mode", SelectField("Reply-To", choices=REPLY_TO_MODES)),
    (
        "Outgoing mail",
        "reply_to_address",
        StringField("Explicit Reply-To address", [Optional(), Length(max=320)]),
    ),
    ("Outgoing mail", "dmarc_mode", SelectField("DMARC mitigation", choices=DMARC_MODES)),
    (
        "Outgoing mail",
        "dmarc_author_field",
        SelectField("When From is rewritten", choices=DMARC_AUTHOR_FIELDS),
    ),
    (
        "Outgoing mail",
        "filter_mime_types",
        TextAreaField(
            "Strip these MIME types (one a line, type/* allowed)", [Length(max=5000), _mime_type_lines]
        ),
    ),
    ("Outgoing mail", "drop_html_alternative", BooleanField("Drop the HTML alternative, keep the text")),
    (
        "Outgoing mail",
        "max_message_size",
        IntegerField("Largest post in bytes (0 = the instance limit)", [NumberRange(0, 2**31 - 1)]),
    ),
    ("Archive", "archive_policy", SelectField("Who may read the archive", choices=ARCHIVE_POLICIES)),
    ("Archive", "archive_obfuscate", BooleanField("Shorten addresses on public archive pages")),
]


def settings_form_class() -> type[FlaskForm]:
    """A form class with one field per setting."""
    attrs = {column: field for _, column, field in SETTINGS}
    attrs["submit"] = SubmitField("Save settings")
    return type("ListSettingsForm", (FlaskForm,), attrs)


def groups() -> dict[str, list[str]]:
    """Setting columns by group, in order, for the template."""
    out: dict[str, list[str]] = {}
    for group, column, _ in SETTINGS:
        out.setdefault(group, []).append(column)
    return out


def apply_settings(form: FlaskForm, mlist: MailingList) -> list[str]:
    """Copy the form into the list; returns the names of the settings that changed."""
    changed = []
    for _, column, _ in SETTINGS:
        value = form[column].data
        if value is None and isinstance(getattr(mlist, column), str):
            value = ""
        if isinstance(value, str):
            multi_line = isinstance(form[column], TextAreaField)
            value = value.strip() if multi_line else " ".join(value.split())
        if getattr(mlist, column) != value:
            setattr(mlist, column, value)
            changed.append(column)
    return changed


class NewListForm(FlaskForm):
    address = StringField("List address", [DataRequired(), Length(max=320)])
    display_name = StringField("Display name", [Length(max=255)])
    submit = SubmitField("Create list")


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token."""

    submit = SubmitField("Confirm")
