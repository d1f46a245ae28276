"""Carrying out a ListPlan in one transaction: all of a list or none of it; re-running changes nothing."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select, update

from app.extensions import db
from app.lists.lifecycle import create_list
from app.lists.registry import SettingsError
from app.lists.settings import LIST_SETTINGS
from app.mail.patterns import kind_of_typed  # Mailman's lists: a person typed them, ^ means a regex
from app.membership.insert import insert_new_members
from app.migration.plan import HeldPlan, ListPlan, MemberPlan, RulePlan
from app.models import (
    AllowedSender,
    Ban,
    FilterRule,
    ListRole,
    MailingList,
    Member,
    Post,
    PostSource,
    PostStatus,
    Role,
    User,
)
from app.models.audit import record
from app.models.timestamps import utcnow
from app.models.users import NO_PASSWORD

CHUNK = 5000


class ImportRefused(Exception):
    """The import cannot go ahead; nothing was written. The message says why and what to do."""


@dataclass
class ImportResult:
    """What the import changed (a dry run: what it would change)."""

    created_list: bool = False
    settings_changed: list[str] = field(default_factory=list)
    members_added: int = 0
    members_present: int = 0
    users_created: list[str] = field(default_factory=list)
    roles_added: int = 0
    bans_added: int = 0
    allowed_added: int = 0
    rules_added: int = 0
    held_added: int = 0

    def changed(self) -> bool:
        """True when the import wrote anything."""
        counts = (
            self.members_added,
            self.roles_added,
            self.bans_added,
            self.allowed_added,
            self.rules_added,
            self.held_added,
        )
        return self.created_list or bool(self.settings_changed or self.users_created or any(counts))

    def summary(self) -> str:
        """One line: what changed."""
        return (
            f"{'created the list, ' if self.created_list else ''}{self.members_added} members added "
            f"({self.members_present} already there), {len(self.settings_changed)} settings changed, "
            f"{self.roles_added} owner/moderator roles, {len(self.users_created)} new inactive users, "
            f"{self.bans_added} bans, {self.allowed_added} allowed senders, {self.rules_added} filter rules, "
            f"{self.held_added} held posts"
        )


def apply_plan(plan: ListPlan, dry_run: bool = False) -> ImportResult:
    """Write the plan (or, with dry_run, only work out what it would write); one commit or none."""
    result = ImportResult()
    try:
        mlist = _target_list(plan, result)
        _check_roster(mlist, plan)
        _settings(mlist, plan, result)
        _members(mlist, plan.members, result)
        _staff(mlist, plan, result)
        _sender_lists(mlist, plan, result)
        _held(mlist, plan.held, result)
        if result.changed():
            record(
                "list.imported",
                "cli",
                "list",
                mlist.id,
                list_id=mlist.id,
                source=plan.source,
                result=result.summary(),
            )
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def _target_list(plan: ListPlan, result: ImportResult) -> MailingList:
    """The list to import into, created when absent."""
    local, _, domain = plan.address.rpartition("@")
    mlist = db.session.scalar(
        select(MailingList).where(MailingList.local_part == local, MailingList.domain == domain)
    )
    if mlist is None:
        try:
            mlist = create_list(plan.address)
        except ValueError as exc:
            raise ImportRefused(str(exc)) from None
        db.session.flush()
        result.created_list = True
    return mlist


def _check_roster(mlist: MailingList, plan: ListPlan) -> None:
    """An existing list may only hold members of the old list (an earlier run of this import)."""
    wanted = {m.email for m in plan.members}
    present = db.session.scalars(select(Member.email).where(Member.list_id == mlist.id)).all()
    strangers = sorted(set(present) - wanted)
    if strangers:
        raise ImportRefused(
            f"the list {mlist.address} already exists with {len(strangers)} members that are not on the "
            f"Mailman list (first: {strangers[0]}); import into a new list, or remove them first"
        )


def _settings(mlist: MailingList, plan: ListPlan, result: ImportResult) -> None:
    """The settings through the list-settings registry (the panel's and `lists set`'s validation).

    A value the registry refuses is reported and left at our default; the others still apply.
    """
    raw = {key: _as_text(value) for key, value in plan.settings.items()}
    try:
        result.settings_changed = LIST_SETTINGS.apply(mlist, raw)
    except SettingsError as exc:
        for key, problem in exc.problems.items():
            plan.note(f"setting {key} was not imported: {problem}")
            raw.pop(key, None)
        result.settings_changed = LIST_SETTINGS.apply(mlist, raw)


def _as_text(value: object) -> str:
    """A planned value as the text the registry parses (as typed in the panel or after `lists set`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _members(mlist: MailingList, members: list[MemberPlan], result: ImportResult) -> None:
    """New members inserted the fast way, then their options set in a few grouped updates."""
    present = set(db.session.scalars(select(Member.email).where(Member.list_id == mlist.id)))
    new = [m for m in members if m.email not in present]
    result.members_present = len(members) - len(new)
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        result.members_added += insert_new_members(mlist.id, [(m.email, m.name) for m in chunk])
    for values, emails in _option_groups(new).items():
        for start in range(0, len(emails), CHUNK):
            db.session.execute(
                update(Member)
                .where(Member.list_id == mlist.id, Member.email.in_(emails[start : start + CHUNK]))
                .values(dict(values))
            )


def _option_groups(members: list[MemberPlan]) -> dict[tuple, list[str]]:
    """Members whose options differ from a new member's defaults, grouped by those options."""
    default = MemberPlan(email="")
    groups: dict[tuple, list[str]] = defaultdict(list)
    for m in members:
        options = (
            ("moderation_action", m.moderation_action),
            ("status", m.status),
            ("disabled_reason", m.disabled_reason),
            ("delivery_enabled", m.delivery_enabled),
            ("pending", m.pending),
        )
        if any(getattr(default, k) != v for k, v in options):
            groups[options].append(m.email)
    return groups


def _staff(mlist: MailingList, plan: ListPlan, result: ImportResult) -> None:
    """Owners and moderators as panel users; new accounts stay inactive until they set a password."""
    for role, emails in ((Role.OWNER, plan.owners), (Role.MODERATOR, plan.moderators)):
        for email in emails:
            user = db.session.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(
                    email=email, password_hash=f"{NO_PASSWORD}imported-{secrets.token_hex(8)}", active=False
                )
                db.session.add(user)
                db.session.flush()
                result.users_created.append(email)
            exists = db.session.scalar(
                select(ListRole).where(
                    ListRole.user_id == user.id, ListRole.list_id == mlist.id, ListRole.role == role
                )
            )
            if exists is None:
                db.session.add(ListRole(user_id=user.id, list_id=mlist.id, role=role))
                result.roles_added += 1


def _sender_lists(mlist: MailingList, plan: ListPlan, result: ImportResult) -> None:
    """Bans, always-allowed senders and filter rules not already on the list."""
    bans = set(db.session.scalars(select(Ban.pattern).where(Ban.list_id == mlist.id)))
    for pattern in plan.bans:
        if pattern not in bans:
            db.session.add(Ban(list_id=mlist.id, pattern=pattern, kind=kind_of_typed(pattern)))
            result.bans_added += 1
    allowed = set(db.session.scalars(select(AllowedSender.pattern).where(AllowedSender.list_id == mlist.id)))
    for pattern in plan.allowed_senders:
        if pattern not in allowed:
            db.session.add(AllowedSender(list_id=mlist.id, pattern=pattern, kind=kind_of_typed(pattern)))
            result.allowed_added += 1
    _rules(mlist, plan.rules, result)


def _rules(mlist: MailingList, rules: list[RulePlan], result: ImportResult) -> None:
    """Filter rules appended after the list's own, in the old list's order."""
    existing = db.session.scalars(select(FilterRule).where(FilterRule.list_id == mlist.id)).all()
    seen = {(r.condition, r.header, r.pattern, r.action) for r in existing}
    position = max((r.position for r in existing), default=0)
    for rule in rules:
        if (rule.condition, rule.header, rule.pattern, rule.action) in seen:
            continue
        position += 1
        db.session.add(
            FilterRule(
                list_id=mlist.id,
                position=position,
                condition=rule.condition,
                header=rule.header,
                pattern=rule.pattern,
                action=rule.action,
                reason=rule.reason,
            )
        )
        seen.add((rule.condition, rule.header, rule.pattern, rule.action))
        result.rules_added += 1


def _held(mlist: MailingList, held: list[HeldPlan], result: ImportResult) -> None:
    """Held posts join the moderation queue (once: the same bytes make the same post)."""
    present = set(db.session.scalars(select(Post.sha256).where(Post.list_id == mlist.id)))
    for item in held:
        digest = hashlib.sha256(item.raw).hexdigest()
        if digest in present:
            continue
        present.add(digest)
        db.session.add(
            Post(
                list_id=mlist.id,
                source=PostSource.IMPORT,
                raw=item.raw,
                size=len(item.raw),
                sha256=digest,
                message_id=item.message_id[:998],
                sender=item.sender,
                subject=item.subject,
                status=PostStatus.HELD,
                hold_reasons=list(item.reasons),
                decision="hold",
                decision_reason=" ".join(item.reasons),
                decided_at=utcnow(),
            )
        )
        result.held_added += 1
