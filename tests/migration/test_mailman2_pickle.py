"""Reading config.pck: real Mailman 2.1 pickles load as plain data; a pickle that would run code never runs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from app.migration.mm2_pickle import BounceInfo, ConfigUnreadable, load_config
from tests.support.mailman2 import mailman2_config, python2_pickle

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mailman2"


def test_real_mailman2_pickles_load_as_plain_data():
    config = load_config(FIXTURES / "config.pck")
    assert config["real_name"] == b"Test"
    assert config["members"][b"bperson@example.com"] == 0
    with_instances = load_config(FIXTURES / "config-with-instances.pck")
    assert all(isinstance(info, BounceInfo) for info in with_instances["bounce_info"].values())
    assert load_config(FIXTURES / "config-greek.pck")["preferred_language"] == b"el"


class RunsCode:
    """Unpickling this would run a shell command (the classic pickle attack)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_a_pickle_that_runs_code_is_refused_and_nothing_runs(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "config.pck"
    path.write_bytes(pickle.dumps({"members": {}, "x": RunsCode(marker)}, protocol=protocol))
    with pytest.raises(ConfigUnreadable, match="refused"):
        load_config(path)
    assert not marker.exists()


def test_a_truncated_pickle_is_one_clear_error(tmp_path):
    whole = python2_pickle(mailman2_config({b"ann@example.org": 0}))
    path = tmp_path / "config.pck"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigUnreadable, match="truncated or corrupt"):
        load_config(path)


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", pickle.dumps([1, 2, 3], protocol=2)])
def test_other_files_are_refused(tmp_path, content):
    path = tmp_path / "config.pck"
    path.write_bytes(content)
    with pytest.raises(ConfigUnreadable):
        load_config(path)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigUnreadable, match="cannot read"):
        load_config(tmp_path / "absent.pck")
