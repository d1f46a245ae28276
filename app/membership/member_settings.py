"""Every per-member setting in one registry: `mailflow members set` and the panel's member form use it.

Adding a member key (delivery mode, vacation) is one `Setting(...)` entry here, plus its column.
"""

from __future__ import annotations

from datetime import date

from app.lists import parsers as p
from app.lists.registry import Kind, Registry, Setting
from app.models import DeliveryMode, MemberStatus, ModerationAction

DEFAULT = "default"  # the list's own policy decides: stored as ModerationAction.DEFER


def _moderation(raw: str) -> str:
    word = p.choice([DEFAULT, *(a.value for a in ModerationAction if a is not ModerationAction.DEFER)])(raw)
    return ModerationAction.DEFER.value if word == DEFAULT else word


def _moderation_shown(value: object) -> object:
    return DEFAULT if value == ModerationAction.DEFER else value


MODERATION_CHOICES = ((DEFAULT, "list default"),) + tuple(
    (a.value, a.value) for a in ModerationAction if a is not ModerationAction.DEFER
)

DELIVERY_CHOICES = (
    (DeliveryMode.REGULAR.value, "every post"),
    (DeliveryMode.MIME_DIGEST.value, "MIME digest"),
    (DeliveryMode.PLAIN_DIGEST.value, "plain-text digest"),
    (DeliveryMode.NOMAIL.value, "no mail"),
)


def _day_shown(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else ""


MEMBER_SETTINGS = Registry(
    (
        Setting("name", "", "Name", p.one_line(255)),
        Setting(
            "status",
            "",
            "Status",
            p.choice(s.value for s in MemberStatus),
            Kind.CHOICE,
            tuple((s.value, s.value) for s in MemberStatus),
        ),
        Setting("disabled_reason", "", "Why (when disabled)", p.one_line(64)),
        Setting(
            "moderation",
            "",
            "Moderation of their posts",
            _moderation,
            Kind.CHOICE,
            MODERATION_CHOICES,
            column="moderation_action",
            show=_moderation_shown,
        ),
        Setting("delivery_enabled", "", "Receives mail", p.flag, Kind.FLAG),
        Setting(
            "delivery",
            "",
            "How they read the list",
            p.choice(m.value for m in DeliveryMode),
            Kind.CHOICE,
            DELIVERY_CHOICES,
            column="delivery_mode",
        ),
        Setting("vacation_until", "", "No mail before (YYYY-MM-DD)", p.optional_date, show=_day_shown),
    )
)
