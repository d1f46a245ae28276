"""What an import will do, as plain data: settings, members, staff, sender lists, rules and a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MemberPlan:
    """One member to add, with the per-member options the old list manager kept."""

    email: str
    name: str = ""
    moderation_action: str = "defer"
    status: str = "active"
    disabled_reason: str = ""
    delivery_enabled: bool = True
    pending: str = ""  # "approval": a subscription request waiting for a moderator


@dataclass(frozen=True)
class RulePlan:
    """One filter rule to add (condition, header, pattern, action, reason as FilterRule has them)."""

    condition: str
    pattern: str
    action: str
    header: str = ""
    reason: str = ""


@dataclass(frozen=True)
class HeldPlan:
    """A post held for moderation in the old list manager, to join our moderation queue."""

    raw: bytes
    sender: str
    subject: str
    message_id: str
    reasons: tuple[str, ...]


@dataclass
class ListPlan:
    """Everything one list's import changes; `report` lists what did not map."""

    address: str
    source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    members: list[MemberPlan] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    moderators: list[str] = field(default_factory=list)
    bans: list[str] = field(default_factory=list)
    allowed_senders: list[str] = field(default_factory=list)
    rules: list[RulePlan] = field(default_factory=list)
    held: list[HeldPlan] = field(default_factory=list)
    report: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Record something that did not come over as it was."""
        self.report.append(line)
