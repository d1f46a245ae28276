"""Where the shared test corpora are: ../shared/corpus beside the checkout (CI lays shared/ there too)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def corpus_dir(name: str) -> Path:
    """The corpus folder; raises when it is missing, so its tests cannot pass by testing nothing."""
    for base in (REPO.parent, REPO.parent.parent):
        folder = base / "shared" / "corpus" / name
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"shared/corpus/{name} not found beside {REPO}")
