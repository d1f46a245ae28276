"""Every list setting in one registry: its key, where the panel shows it, and its one parser.

`mailflow lists show|set`, the panel's settings and templates pages (and later the API) all go through
`list_settings` and `update_list_settings`. Adding a setting is one `Setting(...)` entry in SETTINGS
(plus its column and migration); every door picks it up.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from app.extensions import db
from app.lists import parsers as p
from app.lists.registry import Kind, Registry, Setting, SettingsError
from app.models import (
    ArchivePolicy,
    DigestFrequency,
    MailingList,
    NonmemberAction,
    PostingPolicy,
    SubscriptionPolicy,
)
from app.models.audit import Actor, record_by

__all__ = [
    "LIST_SETTINGS",
    "SETTINGS",
    "Group",
    "Kind",
    "Setting",
    "SettingsError",
    "list_settings",
    "update_list_settings",
]


class Group(enum.StrEnum):
    ABOUT = "About"
    POLICIES = "Policies"
    OUTGOING = "Outgoing mail"
    TEMPLATES = "Templates"  # edited on the panel's templates page, with a preview
    ARCHIVE = "Archive"
    DIGESTS = "Digests"


def _choice(key: str, group: Group, label: str, pairs: list[tuple[str, str]]) -> Setting:
    return Setting(key, group, label, p.choice(v for v, _ in pairs), Kind.CHOICE, tuple(pairs))


def _enum_choice(key: str, group: Group, label: str, enum_class: type[enum.StrEnum]) -> Setting:
    return _choice(key, group, label, [(e.value, e.value.replace("_", " ")) for e in enum_class])


REPLY_TO_MODES = [
    ("leave", "Leave the author's Reply-To"),
    ("list", "Replies go to the list"),
    ("explicit", "Replies go to the address below"),
]
DMARC_MODES = [
    ("auto", "Rewrite From only for p=quarantine/reject authors"),
    ("always", "Always rewrite From to the list"),
    ("off", "Never rewrite From"),
]
DMARC_AUTHOR_FIELDS = [("reply-to", "Author goes to Reply-To"), ("cc", "Author goes to Cc")]
ARCHIVE_POLICIES = [
    (ArchivePolicy.NONE.value, "No archive"),
    (ArchivePolicy.PRIVATE.value, "Private: owners and moderators"),
    (ArchivePolicy.MEMBERS.value, "Members: also the list's members, by a mailed link"),
    (ArchivePolicy.PUBLIC.value, "Public: anyone"),
]

SETTINGS: tuple[Setting, ...] = (
    Setting("display_name", Group.ABOUT, "Display name", p.one_line(255, required=True)),
    Setting("description", Group.ABOUT, "Description", p.lines(5000), Kind.LINES),
    _enum_choice("subscription_policy", Group.POLICIES, "Subscription", SubscriptionPolicy),
    _enum_choice("posting_policy", Group.POLICIES, "Who may post", PostingPolicy),
    _enum_choice("nonmember_action", Group.POLICIES, "Posts from non-members", NonmemberAction),
    Setting("emergency", Group.POLICIES, "Emergency moderation: hold every post", p.flag, Kind.FLAG),
    Setting(
        "hold_days", Group.POLICIES, "Days a held post waits before it expires", p.number(1, 365), Kind.NUMBER
    ),
    Setting(
        "require_explicit_destination",
        Group.POLICIES,
        "Hold posts that do not name the list in To or Cc",
        p.flag,
        Kind.FLAG,
    ),
    Setting(
        "administrivia",
        Group.POLICIES,
        "Hold 'subscribe'/'unsubscribe' requests sent to the list",
        p.flag,
        Kind.FLAG,
    ),
    Setting(
        "max_recipients",
        Group.POLICIES,
        "Hold posts with more recipients than (0 = no limit)",
        p.number(0, 10_000),
        Kind.NUMBER,
    ),
    Setting(
        "suspicious_headers",
        Group.POLICIES,
        "Hold posts whose header matches (one 'Name: regex' a line)",
        p.lines(5000, p.suspicious_header_lines),
        Kind.LINES,
    ),
    Setting(
        "moderator_password",
        Group.POLICIES,
        "Moderator password: a post with it in an Approved: header is accepted (empty keeps it)",
        p.password_hash,
        Kind.SECRET,
        column="moderator_password_hash",
    ),
    Setting(
        "bounce_threshold",
        Group.POLICIES,
        "Bounce score that disables a member (empty: the instance's; hard 1, soft 0.5, one a day)",
        p.optional_score(0.5, 1000, "BOUNCE_THRESHOLD"),
        Kind.NUMBER,
    ),
    Setting(
        "bounce_warning_threshold",
        Group.POLICIES,
        "Bounce score at which the member gets one notice with a re-enable link (0: none; empty: the instance's)",
        p.optional_score(0, 1000, "BOUNCE_WARNING_THRESHOLD"),
        Kind.NUMBER,
    ),
    Setting("subject_prefix", Group.OUTGOING, "Subject prefix", p.one_line(255)),
    _choice("reply_to_mode", Group.OUTGOING, "Reply-To", REPLY_TO_MODES),
    Setting("reply_to_address", Group.OUTGOING, "Explicit Reply-To address", p.address_or_empty),
    _choice("dmarc_mode", Group.OUTGOING, "DMARC mitigation", DMARC_MODES),
    _choice("dmarc_author_field", Group.OUTGOING, "When From is rewritten", DMARC_AUTHOR_FIELDS),
    Setting(
        "filter_mime_types",
        Group.OUTGOING,
        "Strip these MIME types (one a line, type/* allowed)",
        p.lines(5000, p.mime_type_lines),
        Kind.LINES,
    ),
    Setting(
        "drop_html_alternative", Group.OUTGOING, "Drop the HTML alternative, keep the text", p.flag, Kind.FLAG
    ),
    Setting(
        "max_message_size",
        Group.OUTGOING,
        "Largest post in bytes (0 = the instance limit)",
        p.number(0, 2**31 - 1),
        Kind.NUMBER,
    ),
    _choice("archive_policy", Group.ARCHIVE, "Who may read the archive", ARCHIVE_POLICIES),
    Setting(
        "archive_obfuscate", Group.ARCHIVE, "Shorten addresses on public archive pages", p.flag, Kind.FLAG
    ),
    _enum_choice("digest_frequency", Group.DIGESTS, "Send the digest", DigestFrequency),
    Setting(
        "digest_hour", Group.DIGESTS, "Hour of the day it is sent (0-23, UTC)", p.number(0, 23), Kind.NUMBER
    ),
    Setting(
        "digest_size_threshold_kb",
        Group.DIGESTS,
        "Send early once this many kB of posts wait (0 = never early)",
        p.number(0, 100_000),
        Kind.NUMBER,
    ),
    Setting("header_template", Group.TEMPLATES, "Header (above every post)", p.template, Kind.LINES),
    Setting("footer_template", Group.TEMPLATES, "Footer (below every post)", p.template, Kind.LINES),
    Setting(
        "digest_header_template",
        Group.TEMPLATES,
        "Digest header (above the contents)",
        p.template,
        Kind.LINES,
    ),
    Setting(
        "digest_footer_template",
        Group.TEMPLATES,
        "Digest footer (below the last post)",
        p.template,
        Kind.LINES,
    ),
    Setting(
        "welcome_template",
        Group.TEMPLATES,
        "Welcome (mailed on joining; empty: none)",
        p.template,
        Kind.LINES,
    ),
    Setting(
        "goodbye_template",
        Group.TEMPLATES,
        "Goodbye (mailed on leaving; empty: none)",
        p.template,
        Kind.LINES,
    ),
    Setting(
        "raw_retention_days",
        Group.ARCHIVE,
        "Days to keep the bytes of delivered posts and of bounces (0: keep; the archive keeps its own copy)",
        p.number(0, 36500),
        Kind.NUMBER,
    ),
)


def _reply_to_needs_address(values: Mapping[str, object]) -> tuple[str, str] | None:
    if values["reply_to_mode"] == "explicit" and not values["reply_to_address"]:
        return "reply_to_address", "an address, since reply_to_mode is explicit"
    return None


LIST_SETTINGS = Registry(SETTINGS, cross_checks=(_reply_to_needs_address,))


def list_settings(mlist: MailingList) -> dict[str, object]:
    """Every setting of the list by key, JSON-able (a secret shows only whether it is set)."""
    return LIST_SETTINGS.show(mlist)


def update_list_settings(mlist: MailingList, raw: Mapping[str, str], actor: Actor) -> list[str]:
    """Validate every given setting, then store and commit them with an audit entry; returns what changed.

    Raises SettingsError (nothing changed) when any key or value is bad.
    """
    changed = LIST_SETTINGS.apply(mlist, raw)
    if changed:
        record_by(actor, "list.settings", "list", mlist.id, mlist.id, changed=changed)
    db.session.commit()
    return changed
