"""A database written by autonn 0.2 (the last main before the namespace move) still reads and
exports: its space spec names the old top-level `search_spaces` package, its trials store the
parameter count as `params` and the channel-pruned score as `accuracy_pruned`.

legacy_0.2/ was written by 0.2's `autonn search mlp --data wine --trials 3 --max-epochs 3
--no-early-stop --name old-wine`, with artifacts under /tmp/legacy/artifacts; the test moves them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np

import autonn

LEGACY = Path(__file__).with_name("legacy_0.2")
WRITTEN_AT = "/tmp/legacy/artifacts"


def _copy(tmp_path: Path) -> str:
    shutil.copytree(LEGACY, tmp_path / "legacy")
    db = tmp_path / "legacy" / "legacy.db"
    with sqlite3.connect(db) as conn:  # the artifacts' folder as the 0.2 run recorded it, moved
        rows = conn.execute(
            "SELECT trial_user_attribute_id, value_json FROM trial_user_attributes "
            "WHERE key = 'artifacts'"
        ).fetchall()
        for row_id, value in rows:
            moved = json.loads(value).replace(WRITTEN_AT, str(tmp_path / "legacy" / "artifacts"))
            conn.execute(
                "UPDATE trial_user_attributes SET value_json = ? WHERE trial_user_attribute_id = ?",
                (json.dumps(moved), row_id),
            )
    return f"sqlite:///{db}"


def test_a_02_database_reads_under_todays_names(tmp_path):
    search = autonn.load_search("old-wine", _copy(tmp_path))
    assert search.info.config["space"] == "search_spaces.mlp:space"
    assert [t.state for t in search.trials] == ["COMPLETE"] * 3
    for t in search.trials:
        assert isinstance(t.attrs["n_params"], int) and "params" not in t.attrs
        assert t.attrs["n_params_trained"] >= t.attrs["n_params"]
        assert "accuracy_channel_pruned" in t.attrs and "accuracy_pruned" not in t.attrs
    # The old spec loads the space from its new home, and rebuilds a stored trial's config.
    space = autonn.load_space(search.info.config["space"])
    assert space.spec == "autonn.spaces.mlp:space"
    assert space.rebuild(search.trials[0].params).family == "mlp"


def test_a_02_search_exports_and_its_package_predicts(tmp_path):
    storage = _copy(tmp_path)
    result = autonn.export("old-wine", tmp_path / "pkg", storage=storage, pick="best")
    assert result.test_score == result.stored_test_score
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    predicted = np.asarray(autonn.load(tmp_path / "pkg").predict(x.astype(np.float32)))
    labels = np.array([f"class_{i}" for i in y])  # the names the built-in wine data gives
    assert (predicted == labels).mean() > 0.5  # the trial scored 1.0 on its test split in 0.2
