"""Which list address roles the receiver accepts (finding the list is app.lists.lookup.resolve)."""

from __future__ import annotations

from app.mail.list_addresses import AddressRole


def role_is_handled(role: AddressRole) -> bool:
    """Posts always; another role only once the pipeline has a processor for it (else the mail would shunt)."""
    from app.pipeline.roles import ROLE_PROCESSORS

    return role is AddressRole.POST or role.value in ROLE_PROCESSORS
