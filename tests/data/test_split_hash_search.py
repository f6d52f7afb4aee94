"""A real search on a .csv whose column names and labels hold quotes, markup, SQL, path separators
and unicode: they come back intact from the database, the package and the predictor; the search
stores the hash of its splits, and export accepts the same file but refuses one edited in place
(same rows, another value) in one line, exit code 2."""

from __future__ import annotations

import csv
import json
import subprocess

import numpy as np
import pytest

import autonn
from autonn.errors import UsageError

COLUMNS = ['q"uote', "<b>html</b>", "a/../b", "名前 ü"]
LABELS = ["'; DROP TABLE trials; --", "<script>alert(1)</script>"]


def _write(path, x, y) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow([*COLUMNS, "label"])
        out.writerows([*(f"{v:.6f}" for v in row), LABELS[k]] for row, k in zip(x, y, strict=True))


@pytest.mark.integration
def test_nasty_names_survive_and_export_refuses_edited_data(tmp_path):
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 60)
    x = rng.normal(size=(120, 4)) + y[:, None]
    path = tmp_path / "d.csv"
    _write(path, x, y)
    storage = f"sqlite:///{tmp_path}/autonn.db"
    config = autonn.SearchConfig(space="mlp", data=str(path), name="hashed", trials=1,
                                 max_epochs=1, seed=0, early_stop=False, folds=0)  # fmt: skip
    run = autonn.RunConfig(storage=storage, artifacts=str(tmp_path / "art"), max_concurrent=1)
    try:
        search = autonn.search(config, run)
    finally:
        import ray

        ray.shutdown()
    stored = autonn.load_search("hashed", storage).info.config
    assert stored["dataset"]["classes"] == sorted(LABELS)
    assert stored["split_hash"] == autonn.load_dataset(str(path)).split_hash
    assert search.trials[0].state == "COMPLETE"

    autonn.export("hashed", tmp_path / "same", storage=storage)  # unchanged data: verified
    card = json.loads((tmp_path / "same" / "model_card.json").read_text())
    assert [c["name"] for c in card["preprocessing"]["tabular"]["columns"]] == COLUMNS
    predicted = autonn.load(tmp_path / "same").predict_file(path)
    assert set(predicted.tolist()) <= set(LABELS)

    x[7, 2] += 0.5  # same shape and row count: only the hash can tell
    _write(path, x, y)
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

    # Resuming on the edited file is refused the same way, before a trial is added.
    more = autonn.SearchConfig(space="mlp", data=str(path), name="hashed", trials=2,
                               max_epochs=1, seed=0, early_stop=False, folds=0)  # fmt: skip
    try:
        with pytest.raises(UsageError, match="split_hash"):
            autonn.search(more, run, resume=True)
    finally:
        import ray

        ray.shutdown()
    assert len(autonn.load_search("hashed", storage).trials) == 1
