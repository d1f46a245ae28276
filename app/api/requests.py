"""/api/v1/lists/{address}/requests: subscription requests waiting for approval (owners and moderators)."""

from __future__ import annotations

from flask import Blueprint

from app.api.access import current_api_user, list_for
from app.api.problems import ApiProblem
from app.api.schemas import RequestDecision, RequestPage, RequestResult
from app.api.spec import endpoint
from app.models.audit import Actor
from app.moderation.requests import RequestAction, find_request, pending_requests
from app.moderation.requests import decide_request as decide

requests_api = Blueprint("api_requests", __name__)
OUTCOME = {RequestAction.APPROVE: "active", RequestAction.DENY: "denied", RequestAction.DISCARD: "discarded"}


@endpoint(
    requests_api,
    "GET",
    "/lists/{address}/requests",
    "Subscription requests waiting for approval, oldest first",
    answer=RequestPage,
)
def waiting_requests(address: str) -> dict:
    mlist = list_for(address)
    items = [
        {"email": m.email, "name": m.name, "requested_at": m.created_at} for m in pending_requests([mlist.id])
    ]
    return {"items": items}


@endpoint(
    requests_api,
    "POST",
    "/lists/{address}/requests/{email}",
    "Approve, deny (with a reason, told to the requester) or discard a subscription request",
    body=RequestDecision,
    answer=RequestResult,
)
def decide_request(address: str, email: str, body: RequestDecision) -> dict:
    mlist = list_for(address)
    member = find_request(mlist.id, email)
    if member is None:
        raise ApiProblem(404, f"{email[:320]} has no subscription request waiting on {mlist.address}.")
    email, action = member.email, RequestAction(body.action)
    decide(member, action, Actor.of(current_api_user()), body.reason, via="api")
    return {"email": email, "status": OUTCOME[action]}
