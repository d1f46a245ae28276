"""Map a recipient address to a list and the role of that address."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import idna


class AddressRole(enum.StrEnum):
    POST = "post"
    REQUEST = "request"
    OWNER = "owner"
    BOUNCES = "bounces"
    JOIN = "join"
    LEAVE = "leave"
    CONFIRM = "confirm"


# Roles whose mail is processed (app/pipeline/roles.py maps each one but POST to its processor). Mail to
# any other role could only be shunted, so both ingress types refuse it at the door.
HANDLED_ROLES = frozenset(
    {
        AddressRole.POST,
        AddressRole.REQUEST,
        AddressRole.OWNER,
        AddressRole.BOUNCES,
        AddressRole.JOIN,
        AddressRole.LEAVE,
        AddressRole.CONFIRM,
    }
)
# Suffixes that may carry a +TOKEN (VERP bounces, confirmation replies).
TOKEN_ROLES = {AddressRole.BOUNCES, AddressRole.CONFIRM}
SUFFIXES = {role.value: role for role in AddressRole if role is not AddressRole.POST}


@dataclass(frozen=True)
class ListAddress:
    """A parsed list-family address: which list (local@domain), which role, which token."""

    local_part: str
    domain: str
    role: AddressRole
    token: str = ""

    @property
    def list_address(self) -> str:
        return f"{self.local_part}@{self.domain}"


def normalise_domain(domain: str) -> str:
    """Lower-case a domain and turn an internationalised one into its A-label form."""
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def candidates(address: str) -> list[ListAddress]:
    """Every reading of an address as a list-family address, most specific first."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or not local or not domain:
        return []
    local, domain = local.lower(), normalise_domain(domain)
    readings: list[ListAddress] = []
    base, plus, token = local.partition("+")
    stem, dash, suffix = base.rpartition("-")
    if dash and suffix in SUFFIXES:
        role = SUFFIXES[suffix]
        if plus and role in TOKEN_ROLES and token:
            readings.append(ListAddress(stem, domain, role, token))
        elif not plus:
            readings.append(ListAddress(stem, domain, role))
    if not plus:
        readings.append(ListAddress(local, domain, AddressRole.POST))
    return readings
