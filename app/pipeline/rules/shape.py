"""Rules about the post's shape: commands, destination, recipients, size, subject, suspicious headers."""

from __future__ import annotations

import binascii
import re
from email.utils import getaddresses

from app.mail.headersafety import decode
from app.pipeline.context import CONTINUE, Outcome, PostContext, hold

COMMANDS = ("subscribe", "unsubscribe", "join", "leave", "remove", "signoff", "confirm")
COMMAND_LINES = 5
COMMAND_WORDS = 4
COMMAND_BYTES = 4096


def _looks_like_command(line: str) -> bool:
    words = line.strip().lower().split()
    return 0 < len(words) <= COMMAND_WORDS and words[0] in COMMANDS


def _first_text(ctx: PostContext) -> str:
    """The start of the post's first text/plain part, decoded (commands are in the first lines)."""
    data, top = ctx.parts()
    part = next((p for p in top.walk() if p.content_type == "text/plain"), None)
    if part is None:
        return ""
    head = data[part.body_start : min(part.end, part.body_start + COMMAND_BYTES)]
    try:
        if part.cte == "base64":
            head = binascii.a2b_base64(head[: len(head) // 4 * 4])
        elif part.cte == "quoted-printable":
            head = binascii.a2b_qp(head)
        return head.decode(part.headers.get_content_charset() or "utf-8", "replace")
    except (binascii.Error, LookupError, ValueError):
        return ""


def administrivia(ctx: PostContext) -> Outcome:
    """A subscribe/unsubscribe command sent to the posting address instead of LIST-request@: hold."""
    if not ctx.mlist.administrivia:
        return CONTINUE
    lines = [decode(ctx.msg.get("Subject"))]
    lines += [line for line in _first_text(ctx).splitlines() if line.strip()][:COMMAND_LINES]
    command = next((line for line in lines if _looks_like_command(line)), None)
    if command is None:
        return CONTINUE
    return hold(
        f"The post looks like an administrative request ({command.split()[0]!r}); "
        f"commands go to {ctx.mlist.role_address('request')}."
    )


def implicit_destination(ctx: PostContext) -> Outcome:
    """The list is named in neither To nor Cc (a Bcc, or a forward): hold."""
    if not ctx.mlist.require_explicit_destination:
        return CONTINUE
    address = re.compile(rf"(?<![\w.+-]){re.escape(ctx.mlist.address)}(?![\w.-])", re.IGNORECASE)
    destinations = ctx.msg.get_all("To") + ctx.msg.get_all("Cc")
    if any(address.search(decode(v)) for v in destinations):
        return CONTINUE
    return hold(f"The list address {ctx.mlist.address} is in neither the To: nor the Cc: field.")


def max_recipients(ctx: PostContext) -> Outcome:
    """Too many addresses in To and Cc: hold (0 = no limit)."""
    limit = ctx.mlist.max_recipients
    if not limit:
        return CONTINUE
    count = sum(1 for _, a in getaddresses(ctx.msg.get_all("To") + ctx.msg.get_all("Cc")) if "@" in a)
    if count >= limit:
        return hold(
            f"The post has {count} recipients in To: and Cc:; the list holds posts with {limit} or more."
        )
    return CONTINUE


def max_size(ctx: PostContext) -> Outcome:
    """Bigger than the list's limit: hold (0 = only the instance limit at ingress)."""
    limit = ctx.mlist.max_message_size
    if limit and ctx.post.size > limit:
        return hold(f"The post is {ctx.post.size} bytes; the list's limit is {limit} bytes.")
    return CONTINUE


def no_subject(ctx: PostContext) -> Outcome:
    """No subject, or nothing but the list's own prefix: hold."""
    subject = decode(ctx.msg.get("Subject"))
    prefix = (ctx.mlist.subject_prefix or "").strip()
    if prefix:
        subject = subject.replace(prefix, "")
    return hold("The post has no subject.") if not subject.strip() else CONTINUE


def suspicious_rules(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """The list's "Name: regex" lines, compiled; raises ValueError naming a bad line."""
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, pattern = line.partition(":")
        if not colon or not name.strip() or not pattern.strip():
            raise ValueError(f"line {number}: write Header-Name: regular expression")
        try:
            rules.append((name.strip(), re.compile(pattern.strip(), re.IGNORECASE)))
        except re.error as exc:
            raise ValueError(f"line {number}: the regular expression does not compile: {exc}") from None
    return rules


def suspicious_header(ctx: PostContext) -> Outcome:
    """A header matching one of the list's suspicious-header patterns: hold."""
    for name, regex in suspicious_rules(ctx.mlist.suspicious_headers):
        if any(regex.search(decode(v)) for v in ctx.msg.get_all(name)):
            return hold(f"The {name}: header matches the list's suspicious pattern {regex.pattern!r}.")
    return CONTINUE
