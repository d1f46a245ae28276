"""Where the test corpora are: tests/corpus/ inside the repository (each with its licence file)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO / "tests" / "corpus"


def corpus_dir(name: str) -> Path:
    """The corpus folder; raises when it is missing, so its tests cannot pass by testing nothing."""
    folder = CORPORA / name
    if not folder.is_dir():
        raise FileNotFoundError(f"tests/corpus/{name} is missing from the checkout")
    return folder
