"""A real search stores the hash of its splits; export accepts the same data and refuses a file
edited in place (same rows, other values) in one line, exit code 2."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import autonn
from autonn.errors import UsageError


@pytest.mark.integration
def test_export_refuses_data_edited_since_the_search(tmp_path):
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 60)
    x = rng.normal(size=(120, 6)).astype(np.float32) + y[:, None]
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y)
    storage = f"sqlite:///{tmp_path}/autonn.db"
    config = autonn.SearchConfig(space="mlp", data=str(path), name="hashed", trials=1,
                                 max_epochs=1, seed=0, early_stop=False)  # fmt: skip
    run = autonn.RunConfig(storage=storage, artifacts=str(tmp_path / "art"), max_concurrent=1)
    try:
        search = autonn.search(config, run)
    finally:
        import ray

        ray.shutdown()
    assert search.info.config["split_hash"] == autonn.load_dataset(str(path)).split_hash
    autonn.export("hashed", tmp_path / "same", storage=storage)  # unchanged data: verified

    x[7, 2] += 0.5  # same shape and row count: only the hash can tell
    np.savez(path, x=x, y=y)
    with pytest.raises(UsageError, match="holds other values than the search trained on"):
        autonn.export("hashed", tmp_path / "edited", storage=storage)
    done = subprocess.run(
        ["autonn", "export", "hashed", "--storage", storage, "--out", str(tmp_path / "cli")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]  # after the progress line, one error line
    assert last.startswith("autonn: error: ") and "hash of its splits" in last
    assert not (tmp_path / "edited").exists() and not (tmp_path / "cli").exists()
