"""The MIME tree of a message as byte offsets, so parts can be spliced without re-serialising."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

MAX_DEPTH = 20
MAX_PARTS = 500


@dataclass
class Part:
    """One MIME part: where its header and body are in the message bytes, and its children."""

    start: int
    body_start: int
    end: int
    headers: Message
    children: list[Part] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    def walk(self) -> Iterator[Part]:
        """This part and every part inside it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def cte(self) -> str:
        return str(self.headers.get("Content-Transfer-Encoding", "7bit")).strip().lower()


def _header_end(data: bytes, start: int, end: int) -> tuple[int, int]:
    """(end of the header block, start of the body) for a part starting at start."""
    if data.startswith(b"\r\n", start):
        return start, start + 2
    found = data.find(b"\r\n\r\n", start, end)
    if found < 0:
        return end, end
    return found + 2, found + 4


def _delimiters(data: bytes, boundary: bytes, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(line start, next line start, is closing) for each boundary line between start and end."""
    marker, found, pos = b"--" + boundary, [], start
    while pos < end:
        at = data.find(marker, pos, end)
        if at < 0:
            break
        pos = at + len(marker)
        if at != start and data[at - 2 : at] != b"\r\n":
            continue
        line_end = data.find(b"\r\n", pos, end)
        line_end = end if line_end < 0 else line_end
        rest = data[pos:line_end]
        closing = rest.startswith(b"--")
        if rest.removeprefix(b"--").strip(b" \t"):
            continue
        found.append((at, min(line_end + 2, end), closing))
        if closing:
            break
    return found


def scan(
    data: bytes, start: int = 0, end: int | None = None, depth: int = 0, budget: list[int] | None = None
) -> Part:
    """The part at data[start:end] with its children (multiparts whose boundary is found)."""
    end = len(data) if end is None else end
    budget = budget if budget is not None else [MAX_PARTS]
    header_end, body_start = _header_end(data, start, end)
    headers = BytesHeaderParser(policy=compat32).parsebytes(data[start:header_end])
    part = Part(start, body_start, end, headers)
    boundary = headers.get_param("boundary") if headers.get_content_maintype() == "multipart" else None
    if not isinstance(boundary, str) or not boundary or depth >= MAX_DEPTH:
        return part
    lines = _delimiters(data, boundary.encode("utf-8", "surrogateescape"), body_start, end)
    if not lines:
        return part
    for (_, child_start, closing), following in zip(lines, lines[1:] + [(end + 2, end, True)], strict=True):
        if closing or budget[0] <= 0:
            break
        budget[0] -= 1
        child_end = max(child_start, following[0] - 2)
        part.children.append(scan(data, child_start, child_end, depth + 1, budget))
    return part
