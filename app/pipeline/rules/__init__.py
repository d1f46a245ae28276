"""Moderation rules: each looks at the post and returns an Outcome. Rules decide; handlers transform."""

from __future__ import annotations

from app.pipeline.rules import approval, filters, membership, origin, shape
from app.pipeline.rules.base import Rule

RULES: dict[str, Rule] = {
    "approved": approval.approved,
    "emergency": approval.emergency,
    "loop": origin.loop,
    "banned-address": origin.banned_address,
    "own-domain-spoof": origin.own_domain_spoof,
    "member-moderation": membership.member_moderation,
    "filter-rules": filters.filter_rules,
    "nonmember-moderation": membership.nonmember_moderation,
    "administrivia": shape.administrivia,
    "implicit-destination": shape.implicit_destination,
    "max-recipients": shape.max_recipients,
    "max-size": shape.max_size,
    "no-subject": shape.no_subject,
    "suspicious-header": shape.suspicious_header,
}

__all__ = ["RULES", "Rule"]
