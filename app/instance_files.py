"""The instance folder and its secrets: created private (0700/0600) from the start, warned about when wider."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """Create path (and missing parents) readable by the owner only; an existing folder is left as it is."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def create_private_file(path: Path, content: str = "") -> bool:
    """Create path with mode 0600 and its full content at once (nobody sees it wider or half-written).

    Returns False when the file exists already. The content goes to a private temporary file that is then
    hard-linked into place: a link never replaces an existing file, so concurrent starters agree on one.
    """
    if path.exists():
        return False
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


def sqlite_file(database_uri: str) -> Path | None:
    """The file of a sqlite:/// URI, None for other databases and in-memory SQLite."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def prepare_sqlite_file(database_uri: str) -> None:
    """Create an absent SQLite database file 0600 before SQLite does (it would use the umask: 0644)."""
    path = sqlite_file(database_uri)
    if path is not None and path.parent.is_dir():
        create_private_file(path)


def warn_if_wider(paths: list[Path]) -> list[Path]:
    """Log a warning for each existing path that group or others can access; return those paths."""
    wide = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            wanted = FOLDER_MODE if path.is_dir() else FILE_MODE
            log.warning(
                "%s has mode %04o: others on this machine can read it; run `chmod %o %s`",
                path,
                mode,
                wanted,
                path,
            )
            wide.append(path)
    return wide
