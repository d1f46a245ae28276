"""/api/v1/lists/{address}/requests: subscription requests waiting for approval (owners and moderators)."""

from __future__ import annotations

from flask import Blueprint

from app.api.access import current_api_user, list_for
from app.api.problems import ApiProblem
from app.api.schemas import RequestDecision, RequestPage, RequestResult
from app.api.spec import endpoint
from app.membership.requests import approve_request, deny_request, find_request, pending_requests
from app.models.audit import Actor

requests_api = Blueprint("api_requests", __name__)


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
        {"email": m.email, "name": m.name, "requested_at": m.created_at} for m in pending_requests(mlist)
    ]
    return {"items": items}


@endpoint(
    requests_api,
    "POST",
    "/lists/{address}/requests/{email}",
    "Approve or deny (with a reason, told to the requester) a subscription request",
    body=RequestDecision,
    answer=RequestResult,
)
def decide_request(address: str, email: str, body: RequestDecision) -> dict:
    mlist = list_for(address)
    member = find_request(mlist, email)
    if member is None:
        raise ApiProblem(404, f"{email[:320]} has no subscription request waiting on {mlist.address}.")
    actor = Actor.of(current_api_user())
    if body.action == "approve":
        approve_request(mlist, member, actor)
    else:
        deny_request(mlist, member, actor, body.reason)
    return {"email": member.email, "status": member.status}
