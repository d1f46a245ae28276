"""The email commands: LIST-request@ (subscribe, unsubscribe, help), LIST-join@, LIST-leave@, LIST-confirm+TOKEN@."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mailcommands.parse import Command, find_commands
from app.mailcommands.replies import Reply, handle
from app.mailcommands.settings import set_reply
from app.mailcommands.staff_replies import process_staff_reply, token_of
from app.membership.subscriptions import (
    Result,
    confirm,
    confirmation_links,
    request_subscription,
    request_unsubscription,
)
from app.models import MailingList, Member, Post
from app.sysmail.reply_tokens import looks_like_staff_token

HELP = """\
This is the mail server of the list {address}.

Send a message to {request} with one of these words as the subject or on a line of its own:

  subscribe     join the list (or send any message to {join})
  unsubscribe   leave the list (or send any message to {leave})
  set delivery digest|plain|regular|nomail
                how you get the list's mail: a MIME digest, a plain-text digest, every post, or none
  set vacation YYYY-MM-DD|off
                no mail before that day (or now again)
  help          this text
"""

NOT_UNDERSTOOD = (
    "Some lines of your message were not understood as commands; nothing was done about them.\n\n"
)

OUTCOMES: dict[Result, str] = {
    Result.SUBSCRIBED: "You are now subscribed to {address}.",
    Result.CONFIRMATION_SENT: "Please confirm: reply to this message, or open {link}\n"
    "(the request expires in seven days; ignore this mail if you did not ask).",
    Result.AWAITING_APPROVAL: "Your subscription to {address} waits for a list moderator's approval.",
    Result.ALREADY_MEMBER: "You are already subscribed to {address}.",
    Result.UNSUBSCRIBED: "You are no longer subscribed to {address}.",
    Result.NOT_MEMBER: "This address is not subscribed to {address}; nothing changed.",
    Result.INVALID_TOKEN: "This confirmation is unknown or expired; nothing changed. Send 'help' to {request}.",
    Result.BANNED: "This address may not subscribe to {address}; nothing changed.",
}


def _help(mlist: MailingList) -> str:
    return HELP.format(
        address=mlist.address,
        request=mlist.role_address("request"),
        join=mlist.role_address("join"),
        leave=mlist.role_address("leave"),
    )


def _outcome(mlist: MailingList, result: Result, sender: str, member: Member | None) -> tuple[str, str]:
    """The sentence for a result, and the reply address that confirms it (when there is one)."""
    reply_to, link = "", ""
    if result is Result.CONFIRMATION_SENT and member is not None:
        reply_to, link = confirmation_links(mlist, member)
    text = OUTCOMES[result].format(
        address=mlist.address, sender=sender, link=link, request=mlist.role_address("request")
    )
    return text, reply_to


def _run(mlist: MailingList, command: Command, sender: str) -> tuple[Result, Member | None]:
    if command is Command.SUBSCRIBE:
        return request_subscription(mlist, sender)
    # Envelope senders can be forged: leaving by email is always confirmed by the address itself.
    return request_unsubscription(mlist, sender, confirm=True)


def _subscription_reply(mlist: MailingList, command: Command, sender: str) -> Reply:
    result, member = _run(mlist, command, sender)
    text, reply_to = _outcome(mlist, result, sender, member)
    subject = (
        f"confirm {member.confirm_token}"
        if reply_to and member is not None
        else f"Your request to {mlist.address}"
    )
    return Reply(subject, text + "\n", f"{command}: {result}", reply_to)


def request_reply(post: Post, mlist: MailingList, sender: str) -> Reply:
    """Run the commands found in a message to LIST-request@ and report on each."""
    commands = find_commands(post.subject, post.raw)
    actions = [c for c in commands.found if c in (Command.SUBSCRIBE, Command.UNSUBSCRIBE)]
    if len(actions) > 1:  # one subscription change per message: asking both is ambiguous
        return Reply(
            f"Your request to {mlist.address}",
            "Subscribe and unsubscribe in one message cancel out; nothing changed.\n\n" + _help(mlist),
            "conflicting commands",
        )
    if not actions and Command.SET in commands.found:
        text, summary = set_reply(mlist, sender, commands.arguments.get(Command.SET, []))
        return Reply(f"Your request to {mlist.address}", text + "\n", summary)
    if actions:
        reply = _subscription_reply(mlist, actions[0], sender)
        extra = "\n" + _help(mlist) if Command.HELP in commands.found else ""
        return Reply(reply.subject, reply.body + extra, reply.summary, reply.reply_to)
    # Never quote what the sender wrote: the envelope sender may be forged, and a quote would carry the
    # forger's text to the victim with our name on it (backscatter).
    preface = NOT_UNDERSTOOD if commands.ignored and Command.HELP not in commands.found else ""
    return Reply(
        f"Help for {mlist.address}",
        preface + _help(mlist),
        "help" if Command.HELP in commands.found else "no command found: help sent",
    )


def join_reply(post: Post, mlist: MailingList, sender: str) -> Reply:
    """Any message to LIST-join@ subscribes its envelope sender, per the list's policy."""
    return _subscription_reply(mlist, Command.SUBSCRIBE, sender)


def leave_reply(post: Post, mlist: MailingList, sender: str) -> Reply:
    """Any message to LIST-leave@ starts unsubscribing its envelope sender (confirmed by reply)."""
    return _subscription_reply(mlist, Command.UNSUBSCRIBE, sender)


def confirm_reply(post: Post, mlist: MailingList, sender: str) -> Reply:
    """A reply to LIST-confirm+TOKEN@ completes the pending action of the token's member."""
    token = token_of(post)
    pending = db.session.scalar(select(Member).where(Member.confirm_token == token)) if token else None
    result, member = Result.INVALID_TOKEN, None
    if pending is not None and pending.list_id == mlist.id:  # a token of another list is no token here
        result, member = confirm(token)
    text, _ = _outcome(mlist, result, sender, member)
    return Reply(f"Your request to {mlist.address}", text + "\n", f"confirm: {result}")


def process_request(post: Post) -> None:
    """ROLE_PROCESSORS entry for LIST-request@."""
    handle(post, request_reply)


def process_join(post: Post) -> None:
    """ROLE_PROCESSORS entry for LIST-join@."""
    handle(post, join_reply)


def process_leave(post: Post) -> None:
    """ROLE_PROCESSORS entry for LIST-leave@."""
    handle(post, leave_reply)


def process_confirm(post: Post) -> None:
    """ROLE_PROCESSORS entry for LIST-confirm+TOKEN@: a subscriber's confirmation, or a moderator's answer."""
    if looks_like_staff_token(token_of(post)):
        process_staff_reply(post)
    else:
        handle(post, confirm_reply)
