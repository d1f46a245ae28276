"""/api/v1/lists: read lists, change their settings (the registry behind the panel and `lists set`)."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel

from app.api.access import current_api_user, list_for, roles_on, visible_lists
from app.api.problems import ApiProblem, field_errors
from app.api.schemas import ListDetail, ListPage, ListSettingsPatch
from app.api.spec import endpoint
from app.lists.registry import SettingsError
from app.lists.settings import list_settings, update_list_settings
from app.models import MailingList, Role
from app.models.audit import Actor

lists_api = Blueprint("api_lists", __name__)


def as_text(value: object) -> str:
    """A JSON value as the text a settings registry parses."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _detail(mlist: MailingList) -> dict:
    return {"address": mlist.address, "settings": list_settings(mlist)}


@endpoint(lists_api, "GET", "/lists", "The lists this token may see", answer=ListPage)
def all_lists() -> dict:
    user = current_api_user()
    items = [
        {"address": m.address, "display_name": m.display_name, "roles": sorted(roles_on(user, m.id))}
        for m in visible_lists(user)
    ]
    return {"items": items}


@endpoint(lists_api, "GET", "/lists/{address}", "One list and every setting", answer=ListDetail)
def one_list(address: str) -> dict:
    return _detail(list_for(address))


@endpoint(
    lists_api,
    "PATCH",
    "/lists/{address}",
    "Change settings (owners)",
    body=ListSettingsPatch,
    answer=ListDetail,
)
def change_list(address: str, body: BaseModel) -> dict:
    mlist = list_for(address, Role.OWNER)
    raw = {key: as_text(value) for key, value in body.model_dump(exclude_unset=True).items()}
    try:
        update_list_settings(mlist, raw, Actor.of(current_api_user()))
    except SettingsError as exc:
        raise ApiProblem(422, "Some settings are invalid; nothing was changed.", field_errors(exc.problems))
    return _detail(mlist)
