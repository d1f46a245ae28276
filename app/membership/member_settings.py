"""Every per-member setting in one registry: `mailflow members set` and the panel's member form use it.

Adding a member key (delivery mode, vacation) is one `Setting(...)` entry here, plus its column.
"""

from __future__ import annotations

from app.lists import parsers as p
from app.lists.registry import Kind, Registry, Setting
from app.models import MemberStatus, ModerationAction

DEFAULT = "default"  # the list's own policy decides: stored as ModerationAction.DEFER


def _moderation(raw: str) -> str:
    word = p.choice([DEFAULT, *(a.value for a in ModerationAction if a is not ModerationAction.DEFER)])(raw)
    return ModerationAction.DEFER.value if word == DEFAULT else word


def _moderation_shown(value: object) -> object:
    return DEFAULT if value == ModerationAction.DEFER else value


MODERATION_CHOICES = ((DEFAULT, "list default"),) + tuple(
    (a.value, a.value) for a in ModerationAction if a is not ModerationAction.DEFER
)

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
    )
)
