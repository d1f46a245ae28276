"""/api/v1/lists/{address}/members: the roster (owners), with cursor paging; adds are idempotent."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, request
from pydantic import BaseModel
from sqlalchemy import Row, select

from app.api.access import current_api_user, list_for
from app.api.lists import as_text
from app.api.problems import ApiProblem, field_errors
from app.api.schemas import AddResult, BulkMembers, Member, MemberPage, MemberPatch, NewMember
from app.api.spec import endpoint
from app.extensions import db
from app.lists.registry import SettingsError
from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.bulk_add import AddMode, add_by_mode
from app.membership.lines import Entry
from app.membership.member_settings import MEMBER_SETTINGS
from app.membership.members import find_member, member_settings, remove_members, update_member
from app.models import MailingList, MemberStatus, Role
from app.models import Member as MemberRow
from app.models.audit import Actor, record_by

members_api = Blueprint("api_members", __name__)
PAGE, MAX_PAGE = 100, 1000


def _shown(member: MemberRow) -> dict:
    return {"email": member.email, "settings": member_settings(member), "joined": member.created_at}


# A roster page reads only what it shows, as plain rows: no ORM objects (a third of a page's time at 100).
ROSTER_COLUMNS = (
    MemberRow.email,
    MemberRow.created_at,
    *{getattr(MemberRow, s.attribute) for s in MEMBER_SETTINGS.settings} - {MemberRow.email},
)


def _shown_row(row: Row) -> dict:
    return {"email": row.email, "settings": MEMBER_SETTINGS.show(row), "joined": row.created_at}


def _cursor(text: str | None) -> str:
    """The address after which a page starts ('' for the first page)."""
    if not text:
        return ""
    try:
        padded = text.encode() + b"=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiProblem(400, "The cursor is not one this API gave out.") from None


def _limit() -> int:
    raw = request.args.get("limit", str(PAGE))
    if not raw.isdecimal() or len(raw) > 9 or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiProblem(400, f"limit must be a whole number from 1 to {MAX_PAGE}.")
    return int(raw)


@endpoint(
    members_api, "GET", "/lists/{address}/members", "Members, by address, a page at a time", answer=MemberPage
)
def roster(address: str) -> dict:
    mlist, limit = list_for(address, Role.OWNER), _limit()
    query = select(*ROSTER_COLUMNS).where(
        MemberRow.list_id == mlist.id, MemberRow.email > _cursor(request.args.get("cursor"))
    )
    status = request.args.get("status")
    if status:
        if status not in set(MemberStatus):
            raise ApiProblem(400, f"status must be one of {', '.join(MemberStatus)}.")
        query = query.where(MemberRow.status == status)
    rows = db.session.execute(query.order_by(MemberRow.email).limit(limit + 1)).all()
    last = rows[limit - 1].email if len(rows) > limit else None
    cursor = base64.urlsafe_b64encode(last.encode()).decode().rstrip("=") if last else None
    return {"items": [_shown_row(r) for r in rows[:limit]], "next_cursor": cursor}


def _add(mlist: MailingList, wanted: list[NewMember], mode: AddMode = AddMode.SILENT) -> dict:
    """Add active members at once (as `members add`), or invite them; existing members are left as they are."""
    entries, invalid = [], []
    for item in wanted:
        try:
            entries.append(Entry(normalise_address(item.email), " ".join(item.name.split())))
        except InvalidAddress as exc:
            invalid.append({"field": "email", "value": item.email[:320], "detail": str(exc)})
    added, existing = add_by_mode(mlist, entries, mode)
    if added:
        action = "member.invite" if mode is AddMode.INVITE else "member.add"
        record_by(Actor.of(current_api_user()), action, "list", mlist.id, mlist.id, added=added)
        db.session.commit()
    return {"added": added, "existing": existing, "invalid": invalid}


@endpoint(members_api, "POST", "/lists/{address}/members", "Add one member", body=NewMember, answer=AddResult)
def add_one(address: str, body: NewMember) -> tuple[dict, int]:
    result = _add(list_for(address, Role.OWNER), [body])
    if result["invalid"]:
        raise ApiProblem(422, "The address is not valid.", result["invalid"])
    return result, 201 if result["added"] else 200


@endpoint(
    members_api,
    "POST",
    "/lists/{address}/members/bulk",
    "Add many members (idempotent)",
    body=BulkMembers,
    answer=AddResult,
)
def add_many(address: str, body: BulkMembers) -> dict:
    return _add(list_for(address, Role.OWNER), body.members, AddMode(body.mode))


def _member(mlist: MailingList, email: str) -> MemberRow:
    member = find_member(mlist, email)
    if member is None:
        raise ApiProblem(404, f"{email[:320]} is not a member of {mlist.address}.")
    return member


@endpoint(members_api, "GET", "/lists/{address}/members/{email}", "One member", answer=Member)
def one_member(address: str, email: str) -> dict:
    return _shown(_member(list_for(address, Role.OWNER), email))


@endpoint(
    members_api,
    "PATCH",
    "/lists/{address}/members/{email}",
    "Change a member (the keys of `members set`)",
    body=MemberPatch,
    answer=Member,
)
def change_member(address: str, email: str, body: BaseModel) -> dict:
    member = _member(list_for(address, Role.OWNER), email)
    raw = {key: as_text(value) for key, value in body.model_dump(exclude_unset=True).items()}
    try:
        update_member(member, raw, Actor.of(current_api_user()))
    except SettingsError as exc:
        raise ApiProblem(422, "Some fields are invalid; nothing was changed.", field_errors(exc.problems))
    return _shown(member)


@endpoint(members_api, "DELETE", "/lists/{address}/members/{email}", "Remove a member", status=204)
def remove_member(address: str, email: str) -> tuple[str, int]:
    mlist = list_for(address, Role.OWNER)
    remove_members(mlist, [_member(mlist, email)], Actor.of(current_api_user()))
    return "", 204
