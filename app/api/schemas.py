"""The API's request and answer schemas (pydantic): they validate bodies and generate the OpenAPI document.

The settings schemas are built from the settings registries, so a key added there (for the panel and
`lists set`) is in the API at once, with the registry's own parser doing the validation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.lists.registry import Kind, Registry
from app.lists.settings import LIST_SETTINGS
from app.membership.member_settings import MEMBER_SETTINGS

JSON_TYPES: dict[Kind, Any] = {Kind.FLAG: bool, Kind.NUMBER: int, Kind.SECRET: bool}


def _shown_type(kind: Kind, choices: tuple[tuple[str, str], ...]) -> Any:
    if kind in JSON_TYPES:
        return JSON_TYPES[kind]
    return Literal[tuple(value for value, _ in choices)] if choices else str


def _settings_model(name: str, registry: Registry, writable: bool) -> type[BaseModel]:
    """A model with one field per setting: all optional when writing (PATCH), all present when shown."""
    fields: dict[str, Any] = {}
    for s in registry.settings:
        kind = str if (writable and s.kind is Kind.SECRET) else _shown_type(s.kind, s.choices)
        described = Field(default=None, description=s.label) if writable else Field(description=s.label)
        fields[s.key] = (
            kind | None,
            described,
        )  # shown: None where a setting falls back to the instance default
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


ListSettingsPatch = _settings_model("ListSettingsPatch", LIST_SETTINGS, writable=True)
ListSettingsShown = _settings_model("ListSettings", LIST_SETTINGS, writable=False)
MemberPatch = _settings_model("MemberPatch", MEMBER_SETTINGS, writable=True)
MemberSettingsShown = _settings_model("MemberSettings", MEMBER_SETTINGS, writable=False)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListSummary(Strict):
    address: str
    display_name: str
    roles: list[str] = Field(description="your roles on the list (an admin has both)")


class ListPage(Strict):
    items: list[ListSummary]


class ListDetail(Strict):
    address: str
    settings: ListSettingsShown  # type: ignore[valid-type]


class Member(Strict):
    email: str
    settings: MemberSettingsShown  # type: ignore[valid-type]
    joined: datetime


class MemberPage(Strict):
    items: list[Member]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class NewMember(Strict):
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=255)


class BulkMembers(Strict):
    members: list[NewMember] = Field(min_length=1, max_length=10_000)
    # silent: members at once; welcome: and mail the list's welcome; invite: only those who confirm join.
    mode: Literal["silent", "welcome", "invite"] = "silent"


class AddResult(Strict):
    added: int
    existing: int
    invalid: list[dict[str, str]] = Field(default_factory=list)


class HeldPost(Strict):
    id: int
    sender: str
    subject: str
    received_at: datetime
    reasons: list[str]


class HeldPage(Strict):
    items: list[HeldPost]


class Moderation(Strict):
    action: Literal["approve", "reject", "discard"]
    reason: str = Field(default="", max_length=2000)


class ModerationResult(Strict):
    id: int
    status: str


class PostDetail(BaseModel):
    """A post's status, the decision trace and per-recipient outcome counts (as `mailflow posts show`)."""

    model_config = ConfigDict(extra="allow")
    id: int
    status: str


class SubscriptionRequest(Strict):
    email: str
    name: str
    requested_at: datetime


class RequestPage(Strict):
    items: list[SubscriptionRequest]


class RequestDecision(Strict):
    action: Literal["approve", "deny", "discard"]
    reason: str = Field(default="", max_length=2000, description="told to the requester on deny")


class RequestResult(Strict):
    email: str
    status: str = Field(description="active (approved), denied or discarded")


class ArchiveHit(Strict):
    key: str = Field(description="the message's permalink key under the list's archive")
    permalink: str
    subject: str
    author: str = Field(description="addresses obfuscated unless you are staff of the list")
    date: datetime
    snippet: str = Field(description="plain text around the match")


class ArchiveResults(Strict):
    items: list[ArchiveHit]
    page: int
    has_next: bool
