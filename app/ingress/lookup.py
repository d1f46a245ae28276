"""Which list address roles the receiver accepts (finding the list is app.lists.lookup.resolve)."""

from __future__ import annotations

from app.mail import list_addresses
from app.mail.list_addresses import AddressRole


def role_is_handled(role: AddressRole) -> bool:
    """Whether mail to this role is processed (else it would only be shunted: refuse it at the door)."""
    return role in list_addresses.HANDLED_ROLES
