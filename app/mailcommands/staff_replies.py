"""Replies to a staff notice (LIST-confirm+mTOKEN@): approve, reject, discard, approve always or ban, once.

The token says which item and which person; the reply acts only when its From: (parsed strictly,
CVE-2023-27043) is that person, who is still active staff of that list, before the token expired, while the
item still waits, and only the first time. Anything else changes nothing and earns one short explanation
to the envelope sender, under the daily cap of automatic mail to an address.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.extensions import db
from app.lists.staff import is_active_staff
from app.mail.authors import parse_mailbox
from app.mail.headersafety import clean
from app.mail.list_addresses import AddressRole, candidates
from app.mail.rawmessage import RawMessage
from app.mailcommands.replies import Reply, answerable_sender, finish, hand_over, keep_reply
from app.mailcommands.staff_words import ALLOWED, StaffCommand, Word, read_command
from app.models import ItemKind, MailingList, Member, ModerationToken, Post, PostStatus, User
from app.models.audit import Actor
from app.models.timestamps import utcnow
from app.moderation import actions
from app.moderation.requests import RequestAction, decide_request, is_pending
from app.sysmail.notices import allow_notice
from app.sysmail.reply_tokens import find, spend

BY_MAIL = "by mail"
CAPPED = "the daily limit of automatic mail to the sender is reached: no reply"
UNKNOWN = (
    "This reply address is unknown, belongs to another list, or was not sent to you; nothing was done. "
    "Only the moderator a notice was sent to can answer it, from the address it was sent to."
)
EXPIRED = "This reply address has expired; nothing was done. Please decide in the panel: {url}"
USED = "This notice was answered already; nothing more was done."
HANDLED = "This was decided already (it no longer waits); nothing more was done."
NO_WORD = "No command was found; nothing was done. Reply with one of these as the first line: {words}."
DONE = {
    Word.APPROVE: "Approved: {what}.",
    Word.APPROVE_ALWAYS: "Approved: {what}. Mail from {sender} is always accepted on this list from now on.",
    Word.REJECT: "Rejected: {what}. The reason was sent: {reason}",
    Word.DISCARD: "Discarded: {what}.",
    Word.BAN: "Discarded: {what}. {sender} is banned from this list.",
}


@dataclass(frozen=True)
class Answer:
    """What to tell whom; acted says the reply did something (its confirmation is not capped)."""

    to: str
    text: str
    summary: str
    acted: bool = False


def token_of(post: Post) -> str:
    """The token in the LIST-confirm+TOKEN@ address the reply was sent to."""
    return next(
        (r.token for rcpt in post.rcpt_tos for r in candidates(rcpt) if r.role is AddressRole.CONFIRM), ""
    )


def author_of(raw: bytes) -> str:
    """The one From: address, strictly parsed; '' when there are several fields or it does not parse."""
    fields = RawMessage.parse(raw).get_all("From")
    author = parse_mailbox(fields[0]) if len(fields) == 1 else None
    return author.address if author else ""


def process_staff_reply(post: Post) -> None:
    """Decide once, then hand the stored answer to the outbox; safe to run again for the same post."""
    if post.status == PostStatus.RECEIVED:
        decide_staff_reply(post)
    if post.status == PostStatus.ACCEPTED:
        hand_over(post)


def decide_staff_reply(post: Post) -> None:
    """Act on a reply to a staff notice when it is valid, and keep the answer on the post."""
    envelope = answerable_sender(post)
    if not envelope:
        return
    mlist = post.mailing_list
    answer = answer_reply(post, mlist, envelope)
    if not answer.acted and not allow_notice(answer.to):
        finish(post, PostStatus.DISCARDED, f"{answer.summary}; {CAPPED}")
        return
    subject = (
        f"Re: {clean(post.subject)}" if clean(post.subject).isascii() else f"Your reply to {mlist.address}"
    )
    keep_reply(post, mlist, answer.to, Reply(subject[:200], answer.text + "\n", answer.summary))


def answer_reply(post: Post, mlist: MailingList, envelope: str) -> Answer:
    """Check the reply against its token and act on it, or say why not (to the envelope sender)."""
    row = find(token_of(post))
    user = db.session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or row.list_id != mlist.id or author_of(post.raw) != user.email.lower():
        return Answer(envelope, UNKNOWN, "staff reply: unknown token, another list's, or not its owner's")
    if not user.active or not is_active_staff(mlist.id, user.email):
        return Answer(envelope, UNKNOWN, f"staff reply: {user.email} no longer moderates the list")
    item = _item(row)
    panel = f"/lists/{mlist.id}/" + ("moderation" if row.kind == ItemKind.POST else "requests")
    if row.used_at is not None:
        return Answer(envelope, USED, "staff reply: token used already")
    if row.expires_at < utcnow():
        return Answer(envelope, EXPIRED.format(url=_url(panel)), "staff reply: token expired")
    if item is None:
        return Answer(envelope, HANDLED, "staff reply: the item was decided already")
    command = read_command(post.raw, post.subject)
    if command is None or command.word not in ALLOWED[ItemKind(row.kind)]:
        words = ", ".join(sorted(ALLOWED[ItemKind(row.kind)]))
        return Answer(envelope, NO_WORD.format(words=words), "staff reply: no command found")
    if not spend(row):
        return Answer(envelope, USED, "staff reply: token used already")
    text = _act(item, command, Actor(user.email, user.id))
    return Answer(user.email, text, f"staff reply: {command.word} by {user.email}", acted=True)


def _url(path: str) -> str:
    return current_app.config["MAILFLOW"].PUBLIC_URL + path


def _item(row: ModerationToken) -> Post | Member | None:
    """The item the token is for, when it still waits for a decision."""
    if row.kind == ItemKind.POST:
        post = db.session.get(Post, row.object_id)
        return post if post is not None and post.status == PostStatus.HELD else None
    member = db.session.get(Member, row.object_id)
    return member if member is not None and is_pending(member) else None


def _act(item: Post | Member, command: StaffCommand, actor: Actor) -> str:
    """Carry out the command as actor, recorded as done by mail; the confirmation text."""
    if isinstance(item, Member):
        return _act_on_request(item, command, actor)
    sender = item.sender or item.mail_from
    what = f'the post from {sender} ("{clean(item.subject) or "no subject"}")'
    reason = command.reason or "A moderator rejected the post."
    if command.word in (Word.APPROVE, Word.APPROVE_ALWAYS):
        actions.approve(item, actor, always_allow=command.word is Word.APPROVE_ALWAYS, note=BY_MAIL)
    elif command.word is Word.REJECT:
        actions.reject(item, actor, reason, note=BY_MAIL)
    elif command.word is Word.DISCARD:
        actions.discard(item, actor, note=BY_MAIL)
    else:
        actions.ban_sender(item, actor, note=BY_MAIL)
    return DONE[command.word].format(what=what, sender=sender, reason=reason)


def _act_on_request(member: Member, command: StaffCommand, actor: Actor) -> str:
    action = {Word.APPROVE: RequestAction.APPROVE, Word.REJECT: RequestAction.DENY}.get(
        command.word, RequestAction.DISCARD
    )
    return decide_request(member, action, actor, command.reason, via=BY_MAIL)
