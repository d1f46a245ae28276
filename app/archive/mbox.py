"""mboxrd, both ways: every '>*From ' body line gets one more '>' on export and loses one on import."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

FROM_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
UNQUOTE = re.compile(rb"^>(>*From )", re.MULTILINE)
SEPARATOR_DATE = "%a %b %d %H:%M:%S %Y"


def from_line(sender: str, date: datetime) -> bytes:
    """The mbox separator line: `From SENDER DATE` (asctime, UTC)."""
    address = "".join(sender.split()) or "MAILER-DAEMON"
    return f"From {address} {date.astimezone(UTC).strftime(SEPARATOR_DATE)}\n".encode("utf-8", "replace")


def entry(sender: str, date: datetime, raw: bytes) -> bytes:
    """One message as an mboxrd entry: separator, LF line ends, quoted From lines, a blank line after."""
    body = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    body = FROM_QUOTED.sub(rb">\1", body)
    if not body.endswith(b"\n"):
        body += b"\n"
    return from_line(sender, date) + body + b"\n"


@dataclass(frozen=True)
class Entry:
    """One message read from an mbox: where it started, its separator line and its bytes (CRLF)."""

    number: int
    separator: bytes
    raw: bytes


def _finish(lines: list[bytes]) -> bytes:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]  # the blank line that precedes the next separator belongs to the format
    body = UNQUOTE.sub(rb"\1", b"".join(lines))
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def read_entries(stream: Iterable[bytes]) -> Iterator[Entry]:
    """The messages of an mbox, one at a time (memory holds one message); text before the first separator is skipped."""
    separator: bytes | None = None
    lines: list[bytes] = []
    number = 0
    for line in stream:
        if line.startswith(b"From "):
            if separator is not None:
                yield Entry(number, separator, _finish(lines))
            number += 1
            separator, lines = line.rstrip(b"\r\n"), []
        elif separator is not None:
            lines.append(line)
    if separator is not None:
        yield Entry(number, separator, _finish(lines))


def separator_date(separator: bytes) -> datetime | None:
    """The date on a `From SENDER DATE` line, when it is the usual asctime form."""
    parts = separator.decode("ascii", "replace").split(None, 2)
    if len(parts) < 3:
        return None
    text = " ".join(parts[2].split()[:5])
    try:
        return datetime.strptime(text, SEPARATOR_DATE).replace(tzinfo=UTC)
    except ValueError:
        return None


def stream(rows: Iterable[tuple[str, datetime, bytes]]) -> Iterator[bytes]:
    """mboxrd bytes for (sender, date, raw) rows, one entry at a time."""
    for sender, date, raw in rows:
        yield entry(sender, date, raw)
