"""mboxrd, both ways: every '>*From ' body line gets one more '>' on export and loses one on import."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

# A literal "\n" first lets the regex engine skip ahead (a MULTILINE "^" tries every position: 3x slower).
FROM_QUOTED = re.compile(rb"\n(>*From )")
UNQUOTE = re.compile(rb"\n>(>*From )")
FROM_AT_START = re.compile(rb">*From ")
QUOTED_AT_START = re.compile(rb">>*From ")
SEPARATOR_DATE = "%a %b %d %H:%M:%S %Y"


def from_line(sender: str, date: datetime) -> bytes:
    """The mbox separator line: `From SENDER DATE` (asctime, UTC)."""
    address = "".join(sender.split()) or "MAILER-DAEMON"
    return f"From {address} {date.astimezone(UTC).strftime(SEPARATOR_DATE)}\n".encode("utf-8", "replace")


def entry(sender: str, date: datetime, raw: bytes) -> bytes:
    """One message as an mboxrd entry: separator, LF line ends, quoted From lines, a blank line after."""
    body = raw.replace(b"\r\n", b"\n")
    body = quote_from_lines(body.replace(b"\r", b"\n") if b"\r" in body else body)
    if not body.endswith(b"\n"):
        body += b"\n"
    return from_line(sender, date) + body + b"\n"


def quote_from_lines(body: bytes) -> bytes:
    """mboxrd quoting: one more '>' before every line that starts with '>*From '."""
    if b"From " not in body:
        return body
    body = FROM_QUOTED.sub(rb"\n>\1", body)
    return b">" + body if FROM_AT_START.match(body) else body


def unquote_from_lines(body: bytes) -> bytes:
    """mboxrd unquoting: one '>' fewer before every line that starts with '>+From '."""
    if b"From " not in body:
        return body
    body = UNQUOTE.sub(rb"\n\1", body)
    return body[1:] if QUOTED_AT_START.match(body) else body


@dataclass(frozen=True)
class Entry:
    """One message read from an mbox: where it started, its separator line and its bytes (CRLF)."""

    number: int
    separator: bytes
    raw: bytes


def _finish(lines: list[bytes]) -> bytes:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]  # the blank line that precedes the next separator belongs to the format
    body = unquote_from_lines(b"".join(lines))
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


STREAM_CHUNK = (
    256 * 1024
)  # bytes handed to the server at a time: one write per entry is a syscall per message


def stream(rows: Iterable[tuple[str, datetime, bytes]]) -> Iterator[bytes]:
    """mboxrd bytes for (sender, date, raw) rows, in chunks of about STREAM_CHUNK (whole entries)."""
    pending: list[bytes] = []
    size = 0
    for sender, date, raw in rows:
        data = entry(sender, date, raw)
        pending.append(data)
        size += len(data)
        if size >= STREAM_CHUNK:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)
