"""The suite reads nothing beside the checkout: a fresh clone of the repository alone must pass."""

from __future__ import annotations

import pytest

from tests.support.bounds import REPO, OutsideRepository, is_beside_repository
from tests.support.corpus import corpus_dir


def test_a_file_beside_the_checkout_cannot_be_opened(tmp_path):
    beside = REPO.parent / "shared" / "corpus" / "README.md"
    assert is_beside_repository(beside)
    with pytest.raises(OutsideRepository):
        open(beside, "rb")


def test_listing_a_folder_beside_the_checkout_is_refused():
    import os

    with pytest.raises(OutsideRepository):
        os.listdir(REPO.parent / "shared")


def test_files_inside_the_checkout_and_temp_files_are_allowed(tmp_path):
    assert not is_beside_repository(REPO / "README.md")
    assert not is_beside_repository(tmp_path / "x")
    (tmp_path / "x").write_text("ok")


def test_the_corpora_are_in_the_repository_with_their_licences():
    for name in ("bounces", "cpython-email"):
        folder = corpus_dir(name)
        assert REPO in folder.parents
        assert (folder / "LICENSE").is_file()
