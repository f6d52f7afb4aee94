"""A killed worker's trial folder is removed by the next trial on its machine
(autonn/tune/_scratch.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from autonn.tune import _scratch
from autonn.tune._scratch import PREFIX, sweep, trial_scratch


def _ended_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_only_folders_of_ended_processes_on_this_machine_are_swept(tmp_path):
    mine = _scratch._owned_prefix
    dead = tmp_path / f"{mine(_ended_pid())}abc"
    alive = tmp_path / f"{mine(os.getpid())}def"
    # Another host's, on a /tmp shared between machines.
    elsewhere = tmp_path / f"{PREFIX}otherhost-{_ended_pid()}-ghi"
    unrelated = tmp_path / "autonn-size-xyz"
    for folder in (dead, alive, elsewhere, unrelated):
        folder.mkdir()
        (folder / "model.onnx").write_bytes(b"x" * 100)
    assert sweep(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and elsewhere.exists() and unrelated.exists()


def test_a_trials_folder_is_named_for_this_process_and_removed_when_it_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{_scratch._owned_prefix(_ended_pid())}abc"
    stale.mkdir()
    with trial_scratch() as folder:
        assert folder.parent == tmp_path and folder.name.startswith(
            _scratch._owned_prefix(os.getpid())
        )
        assert not stale.exists()  # swept as the trial began
        (folder / "model.onnx").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []
