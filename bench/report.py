"""Results: a table on standard output and a JSON file under bench/results/ (or $BENCH_RESULTS_DIR)."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# The test suite points this elsewhere, so two runs at once (SQLite and PostgreSQL) never share files.
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).parent / "results")


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass
class Table:
    """Rows of one part: what it prints and what it writes."""

    part: str
    columns: list[str]
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def add(self, **row: object) -> None:
        self.rows.append(row)
        print("  " + ", ".join(f"{k}={_cell(v)}" for k, v in row.items()), flush=True)

    def render(self) -> str:
        """A Markdown table (it reads well in a terminal and pastes into docs/benchmarks.md)."""
        cells = [[_cell(row.get(c, "")) for c in self.columns] for row in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]

        def line(values: list[str]) -> str:
            return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

        out = [line(self.columns), "| " + " | ".join("-" * w for w in widths) + " |"]
        out += [line(r) for r in cells]
        out += [f"- {note}" for note in self.notes]
        return "\n".join(out)

    def write(self, smoke: bool, machine: dict) -> Path:
        """Write the JSON next to the other results; returns its path."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = RESULTS / f"{self.part}{'-smoke' if smoke else ''}-{stamp}.json"
        doc = {
            "part": self.part,
            "smoke": smoke,
            "machine": machine,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
            "meta": self.meta,
        }
        path.write_text(json.dumps(doc, indent=2, default=str))
        (RESULTS / f"{self.part}{'-smoke' if smoke else ''}-latest.json").write_text(
            json.dumps(doc, indent=2, default=str)
        )
        return path
