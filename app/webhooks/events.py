"""Webhook events: emit() queues one signed delivery per matching webhook in the caller's transaction."""

from __future__ import annotations

import enum
import json
import secrets

from sqlalchemy import event as orm_event
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import MailingList, Member, Post, Webhook, WebhookDelivery
from app.models.timestamps import utcnow
from app.sysmail.membership_news import note_event
from app.webhooks.dispatch import enqueue_sending

PENDING_FLAG = "mailflow_webhooks_to_send"


class WebhookEvent(enum.StrEnum):
    MEMBER_SUBSCRIBED = "member.subscribed"
    MEMBER_UNSUBSCRIBED = "member.unsubscribed"
    MEMBER_DISABLED = "member.disabled"
    POST_HELD = "post.held"
    POST_DISTRIBUTED = "post.distributed"
    BOUNCE_RECORDED = "bounce.recorded"


def payload(event: str, data: dict) -> str:
    """The JSON body every webhook of this event receives."""
    return json.dumps({"type": event, "timestamp": utcnow().isoformat(), "data": data}, sort_keys=True)


def matching_webhooks(event: str, list_id: int | None) -> list[Webhook]:
    """Active webhooks, site-wide or for this list, that asked for this event."""
    scope = (
        Webhook.list_id.is_(None)
        if list_id is None
        else or_(Webhook.list_id.is_(None), Webhook.list_id == list_id)
    )
    hooks = db.session.scalars(select(Webhook).where(Webhook.active.is_(True), scope).order_by(Webhook.id))
    return [hook for hook in hooks if event in hook.events]


def emit(event: WebhookEvent | str, list_id: int | None, data: dict) -> int:
    """Queue event for every matching webhook (the caller commits); sending starts after the commit."""
    note_event(str(event), list_id, str(data.get("address") or data.get("email") or ""))
    hooks = matching_webhooks(str(event), list_id)
    if not hooks:
        return 0
    body = payload(str(event), data)
    for hook in hooks:
        db.session.add(
            WebhookDelivery(webhook_id=hook.id, event=str(event), msg_id=new_msg_id(), payload=body)
        )
    _send_after_commit(db.session())
    return len(hooks)


def new_msg_id() -> str:
    """A unique message id, the same for every retry of one delivery (receivers deduplicate on it)."""
    return "msg_" + secrets.token_urlsafe(18)


def _send_after_commit(session: Session) -> None:
    if session.info.get(PENDING_FLAG):
        return
    session.info[PENDING_FLAG] = True
    orm_event.listen(session, "after_commit", _enqueue_sending, once=True)


def _enqueue_sending(session: Session) -> None:
    session.info.pop(PENDING_FLAG, None)
    enqueue_sending()


def list_address(list_id: int) -> str:
    """The posting address of a list, for event data."""
    mlist = db.session.get(MailingList, list_id)
    return mlist.address if mlist else ""


def member_data(member: Member) -> dict:
    """The data of a member.* event: the list address and the member's address."""
    return {"list": list_address(member.list_id), "email": member.email, "status": str(member.status)}


def post_data(post: Post) -> dict:
    """The data of a post.* event: the list address, the post id and its subject."""
    return {"list": post.mailing_list.address, "post_id": post.id, "subject": post.subject or ""}
