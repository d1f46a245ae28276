"""Adding a list's filter rule: the pipeline's own check (filter_rule_errors), then the row, audited."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import FilterRule, MailingList
from app.models.audit import Actor, record_by
from app.pipeline.rules.filters import filter_rule_errors


class FilterRuleError(ValueError):
    """A rule that cannot be saved; problems says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


def add_filter_rule(
    mlist: MailingList, condition: str, header: str, pattern: str, action: str, reason: str, actor: Actor
) -> FilterRule:
    """Check and append a rule after the list's last one; commits. Raises FilterRuleError."""
    header, pattern, reason = header.strip(), pattern.strip(), " ".join(reason.split())
    problems = filter_rule_errors(condition, header, pattern, action, reason)
    if problems:
        raise FilterRuleError(problems)
    last = db.session.scalar(select(func.max(FilterRule.position)).where(FilterRule.list_id == mlist.id))
    rule = FilterRule(
        list_id=mlist.id,
        position=(last or 0) + 1,
        condition=condition,
        header=header,
        pattern=pattern,
        action=action,
        reason=reason,
    )
    db.session.add(rule)
    record_by(
        actor, "rule.add", "list", mlist.id, mlist.id, condition=condition, pattern=pattern, then=action
    )
    db.session.commit()
    return rule
