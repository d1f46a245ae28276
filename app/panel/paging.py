"""Numbered pages for long tables: "51–100 of 291" and links to the pages around the current one."""

from __future__ import annotations

from dataclasses import dataclass

NEARBY = 2  # page links on each side of the current page


@dataclass(frozen=True)
class Page:
    """One page of a numbered listing."""

    number: int
    size: int
    total: int
    more: bool = False  # counting stopped at total: there are more rows than that

    @classmethod
    def of(cls, requested: str, total: int, size: int) -> Page:
        """The page asked for in the query string, kept within 1..last."""
        number = int(requested) if requested.isdecimal() and len(requested) <= 9 else 1
        last = max(1, -(-total // size))
        return cls(min(max(number, 1), last), size, total)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def span(self) -> str:
        """Which rows this page shows: "51–100 of 291"."""
        if self.total == 0:
            return "0 of 0"
        last_row = min(self.offset + self.size, self.total)
        return f"{self.offset + 1:,}–{last_row:,} of {self.total:,}{'+' if self.more else ''}"

    def links(self) -> list[int | None]:
        """Page numbers to link to: first, last and those near the current one; None marks a gap."""
        wanted = {1, self.last, *range(self.number - NEARBY, self.number + NEARBY + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.last)
        shown: list[int | None] = []
        for number in numbers:
            if shown and number - (shown[-1] or 0) > 1:
                shown.append(None)
            shown.append(number)
        return shown
