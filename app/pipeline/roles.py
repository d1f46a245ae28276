"""Mail to a list's other addresses (LIST-request@, -owner@, -bounces@, ...) is processed per role."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from app.models import Post

# role -> "module:function" taking the Post. A role missing here is not built yet and raises.
ROLE_PROCESSORS: dict[str, str] = {
    "bounces": "app.bounces.dsn:process_bounce_post",
    "request": "app.mailcommands.commands:process_request",
    "join": "app.mailcommands.commands:process_join",
    "leave": "app.mailcommands.commands:process_leave",
    "confirm": "app.mailcommands.commands:process_confirm",
    "owner": "app.mailcommands.owner:forward_to_owners",
}


def processor_for(role: str) -> Callable[[Post], None]:
    """The function that processes mail sent to this role address."""
    target = ROLE_PROCESSORS.get(role)
    if target is None:
        raise NotImplementedError(f"mail to the list's {role} address is not processed yet")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
