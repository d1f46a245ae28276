"""Lenient reading of member lines (`Name <addr>`, `addr`, CSV rows) into strict, normalised addresses."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.mail.addresses import InvalidAddress, normalise_address
from app.membership.export import restore_cell

ANGLE = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]+)>\s*$")
MAX_NAME = 255


@dataclass(frozen=True)
class Entry:
    """One usable line: the normalised address and the display name."""

    email: str
    name: str


@dataclass(frozen=True)
class BadLine:
    """A line we could not use, and why."""

    number: int
    text: str
    error: str


def parse_line(text: str, name: str = "") -> Entry:
    """`Name <addr>`, `"Name" <addr>` or a bare address; raises InvalidAddress."""
    text = text.strip()
    match = ANGLE.match(text)
    if match:
        text, name = match["addr"], name or match["name"].strip().strip('"').strip()
    clean_name = " ".join(name.split())[:MAX_NAME]  # no newlines or control runs into headers later
    return Entry(normalise_address(text), clean_name)


def parse_lines(lines: Iterable[str]) -> tuple[list[Entry], list[BadLine]]:
    """Parse pasted lines; blank lines and # comments are skipped."""
    good, bad = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            good.append(parse_line(line))
        except InvalidAddress as exc:
            bad.append(BadLine(number, line.strip()[:200], exc.reason_in_words()))
    return good, bad


def csv_rows(data: bytes) -> Iterator[tuple[int, str, str]]:
    """(line number, address text, name) for each CSV row; a header row naming `email` is honoured."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    email_col, name_col = 0, 1
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        lowered = [cell.strip().lower() for cell in row]
        if reader.line_num == 1 and ("email" in lowered or "address" in lowered):
            email_col = lowered.index("email") if "email" in lowered else lowered.index("address")
            name_col = lowered.index("name") if "name" in lowered else -1
            continue
        address = row[email_col] if email_col < len(row) else ""
        name = row[name_col] if 0 <= name_col < len(row) else ""
        yield reader.line_num, restore_cell(address), restore_cell(name)  # an export imports as it was


def count_rows(data: bytes) -> int:
    """Physical line count, the denominator of the progress bar."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
