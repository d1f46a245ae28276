"""Mail to a list's other addresses (LIST-request@, -owner@, -bounces@, ...) is processed per role."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from app.mail.list_addresses import AddressRole
from app.models import Post

# role -> "module:function" taking the Post, for every role in list_addresses.HANDLED_ROLES but POST
# (tests/pipeline/test_roles.py holds the two together). A role missing here is not built yet and raises.
ROLE_PROCESSORS: dict[str, str] = {  # keys: AddressRole
    AddressRole.BOUNCES: "app.bounces.dsn:process_bounce_post",
    AddressRole.REQUEST: "app.mailcommands.commands:process_request",
    AddressRole.JOIN: "app.mailcommands.commands:process_join",
    AddressRole.LEAVE: "app.mailcommands.commands:process_leave",
    AddressRole.CONFIRM: "app.mailcommands.commands:process_confirm",
    AddressRole.OWNER: "app.mailcommands.owner:forward_to_owners",
}


def processor_for(role: str) -> Callable[[Post], None]:
    """The function that processes mail sent to this role address."""
    target = ROLE_PROCESSORS.get(role)
    if target is None:
        raise NotImplementedError(f"mail to the list's {role} address is not processed yet")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
