"""Reading a Mailman 2.1 `config.pck` safely: a restricted unpickler that builds plain data only.

A pickle is a program; an uploaded one must never run. The unpickler resolves no global but Mailman's
bounce-info record, which becomes a plain attribute holder, and Python 2 byte strings stay bytes until
the mapping decodes them with the list's charset.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 512 * 1024 * 1024  # a 100,000-member list's config.pck is a few tens of MB


class ConfigUnreadable(Exception):
    """The file is not a Mailman 2.1 list configuration we can read; the message says why."""


class BounceInfo:
    """Mailman.Bouncer._BounceInfo rebuilt as inert data (its attributes only, no behaviour)."""

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({_text(k): v for k, v in state.items()})


ALLOWED_GLOBALS = {("Mailman.Bouncer", "_BounceInfo"): BounceInfo}


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds dicts, lists, strings and numbers; refuses every other global (no code can run)."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise ConfigUnreadable(f"the pickle refers to {module}.{name}, which is not list data; refused")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise ConfigUnreadable("the pickle uses persistent references, which list data never does; refused")


def load_config(path: Path) -> dict[str, Any]:
    """The list configuration as a dict with text keys; raises ConfigUnreadable with a one-line reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigUnreadable(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigUnreadable(f"{path} is larger than {MAX_CONFIG_BYTES // 2**20} MB")
    try:
        loaded = _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except ConfigUnreadable:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
    ) as exc:
        raise ConfigUnreadable(f"{path} is not a readable pickle (truncated or corrupt): {exc}") from None
    if not isinstance(loaded, dict) or not any(_text(k) == "members" for k in loaded):
        raise ConfigUnreadable(f"{path} is a pickle, but not a Mailman 2.1 list configuration")
    return {_text(key): value for key, value in loaded.items()}


def _text(key: Any) -> str:
    """A Python 2 key (bytes, ASCII in practice) as text."""
    return key.decode("latin-1") if isinstance(key, bytes) else str(key)
