"""The list's own ordered filter rules: conditions on headers, sender, size, MIME types, spam verdict."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from sqlalchemy import select

from app.extensions import db
from app.mail.headersafety import decode
from app.models import FilterAction, FilterCondition, FilterRule
from app.pipeline.context import CONTINUE, Outcome, PostContext
from app.pipeline.rules.base import outcome_for

SPAM_FLAG = re.compile(r"^\s*yes\b", re.IGNORECASE)
AUTH_FAILURE = re.compile(r"\b(?:spf|dkim|dmarc)\s*=\s*(?:fail|softfail|permerror)\b", re.IGNORECASE)


def header_matches(rule: FilterRule, ctx: PostContext) -> bool:
    """A field named rule.header whose decoded value matches rule.pattern."""
    regex = re.compile(rule.pattern, re.IGNORECASE)
    return any(regex.search(decode(v)) for v in ctx.msg.get_all(rule.header))


def sender_matches(rule: FilterRule, ctx: PostContext) -> bool:
    """The author or envelope sender matches rule.pattern."""
    regex = re.compile(rule.pattern, re.IGNORECASE)
    return any(regex.search(a) for a in (ctx.sender, ctx.post.mail_from) if a)


def size_matches(rule: FilterRule, ctx: PostContext) -> bool:
    """The post is larger than rule.pattern bytes."""
    return ctx.post.size > int(rule.pattern)


def mime_type_matches(rule: FilterRule, ctx: PostContext) -> bool:
    """A part anywhere in the post has a type matching rule.pattern (type/subtype or type/*)."""
    wanted = rule.pattern.strip().lower()
    return any(fnmatch.fnmatchcase(part.content_type, wanted) for part in ctx.parts()[1].walk())


def spam_matches(rule: FilterRule, ctx: PostContext) -> bool:
    """Our ingress's verdict: X-Spam-Flag/X-Spam-Status yes, or an Authentication-Results failure.

    A pattern, when given, names the authserv-ids (regex) whose Authentication-Results we trust.
    """
    if any(SPAM_FLAG.match(v) for v in ctx.msg.get_all("X-Spam-Flag") + ctx.msg.get_all("X-Spam-Status")):
        return True
    trusted = re.compile(rule.pattern, re.IGNORECASE) if rule.pattern.strip() else None
    for value in ctx.msg.get_all("Authentication-Results"):
        authserv_id = value.split(";", 1)[0].strip()
        if trusted is not None and not trusted.fullmatch(authserv_id):
            continue
        if AUTH_FAILURE.search(value):
            return True
    return False


CONDITIONS: dict[str, Callable[[FilterRule, PostContext], bool]] = {
    FilterCondition.HEADER: header_matches,
    FilterCondition.SENDER: sender_matches,
    FilterCondition.SIZE: size_matches,
    FilterCondition.MIME_TYPE: mime_type_matches,
    FilterCondition.SPAM: spam_matches,
}


def filter_rules(ctx: PostContext) -> Outcome:
    """The first of the list's filter rules (by position) whose condition matches decides."""
    rules = db.session.scalars(
        select(FilterRule)
        .where(FilterRule.list_id == ctx.mlist.id)
        .order_by(FilterRule.position, FilterRule.id)
    ).all()
    for rule in rules:
        if CONDITIONS[rule.condition](rule, ctx):
            reason = rule.reason or f"Filter rule {rule.position} ({rule.condition}) matched."
            return outcome_for(rule.action, reason)
    return CONTINUE


HEADER_NAME = re.compile(r"[!-9;-~]{1,255}")  # RFC 5322 field name: printable ASCII but ':'
MIME_TYPE = re.compile(r"[\w.+-]+/[\w.+*-]+")
MAX_PATTERN = 2000
MAX_REASON = 500


def filter_rule_errors(condition: str, header: str, pattern: str, action: str, reason: str = "") -> list[str]:
    """What is wrong with a filter rule before it is saved: the one check, for the panel and any other door."""
    errors = []
    if condition not in CONDITIONS:
        errors.append(f"Unknown condition {condition!r}.")
    if action not in set(FilterAction):
        errors.append(f"Unknown action {action!r}.")
    if len(pattern) > MAX_PATTERN or len(reason) > MAX_REASON:
        errors.append(f"Keep the pattern under {MAX_PATTERN} and the reason under {MAX_REASON} characters.")
    if condition == FilterCondition.HEADER and not HEADER_NAME.fullmatch(header or ""):
        errors.append("A header condition needs a header name (e.g. X-Spam-Flag).")
    if condition == FilterCondition.SIZE and not pattern.strip().isdecimal():
        errors.append("A size condition needs a whole number of bytes.")
    if condition == FilterCondition.MIME_TYPE and not MIME_TYPE.fullmatch(pattern.strip()):
        errors.append("A MIME type condition needs type/subtype or type/*.")
    if condition in (FilterCondition.HEADER, FilterCondition.SENDER, FilterCondition.SPAM):
        if condition != FilterCondition.SPAM and not pattern.strip():
            errors.append("The condition needs a regular expression.")
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(f"The regular expression does not compile: {exc}.")
    return errors
