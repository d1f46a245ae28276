"""A guard that fails any test reading a file beside the checkout (a user's clone has nothing there)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


class OutsideRepository(PermissionError):
    """A test tried to read a path beside the repository."""


def is_beside_repository(path: str | os.PathLike | int) -> bool:
    """True for a path under the checkout's parent folder but outside the checkout itself.

    Hidden siblings (a home directory's `.cache`, `.pyenv`) and the interpreter's own folders are not test
    data and stay allowed.
    """
    if isinstance(path, int):
        return False
    try:
        resolved = Path(os.fsdecode(path)).resolve()
    except (OSError, ValueError):
        return False
    if resolved == REPO or REPO in resolved.parents or REPO.parent not in resolved.parents:
        return False
    sibling = resolved.relative_to(REPO.parent).parts[0]
    if sibling.startswith("."):
        return False
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return not any(resolved == p or p in resolved.parents for p in prefixes)


def _audit(event: str, args: tuple) -> None:
    if event in WATCHED_EVENTS and args and is_beside_repository(args[0]):
        raise OutsideRepository(f"tests must not read outside the repository: {args[0]}")


def install() -> None:
    """Install the guard for this process (audit hooks cannot be removed, so install once)."""
    if not getattr(install, "done", False):
        sys.addaudithook(_audit)
        install.done = True  # type: ignore[attr-defined]
