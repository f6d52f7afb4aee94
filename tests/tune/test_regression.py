"""A real regression search on diabetes (Ray, training, SQLite), then show, export and predict as a
user runs them. The metric is rmse everywhere, and nothing says "accuracy"."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import autonn
from autonn.cli import main
from autonn.data import load_dataset
from autonn.measure import onnx_logits

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def diabetes_search(tmp_path_factory):
    """Three fully trained trials (no early stopping, so which trials finish is deterministic)."""
    import ray

    started_ray = not ray.is_initialized()
    root = tmp_path_factory.mktemp("diabetes-search")
    config = autonn.SearchConfig(
        space="mlp", data="diabetes", task="regression", name="diabetes-test",
        trials=3, max_epochs=3, early_stop=False, seed=0,
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/autonn.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    yield autonn.search(config, run), root
    if started_ray:
        ray.shutdown()


@pytest.fixture(scope="module")
def diabetes():
    return load_dataset("diabetes", seed=0, task="regression")


def _cli(capsys, *argv) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_the_search_records_its_task_and_metric(diabetes_search):
    search, _ = diabetes_search
    assert search.task == "regression" and search.metric == "rmse"
    assert search.objectives == ("rmse", "size_bytes")
    assert search.info.config["task"] == "regression" and search.info.config["metric"] == "rmse"
    assert [t.state for t in search.trials] == ["COMPLETE"] * 3


def test_trials_store_rmse_in_the_targets_units_and_no_accuracy(diabetes_search, diabetes):
    search, _ = diabetes_search
    for t in search.trials:
        assert set(t.values) == {"rmse", "size_bytes"}
        assert {"test_rmse", "rmse_trained", "curve"} <= set(t.attrs)
        assert not [k for k in t.attrs if "accuracy" in k]
        assert t.accuracy is None and t.score == t.values["rmse"]
        # diabetes targets run from 25 to 346: an rmse in those units is tens, not a fraction
        assert 10 < t.score < 400 and 10 < t.test_score < 400
        assert len(t.attrs["curve"]) >= 3 and min(t.attrs["curve"]) > 10
    # the stored test rmse is that of the saved artifact, in the target's units
    t = search.trials[0]
    outputs = onnx_logits(f"{t.attrs['artifacts']}/model.onnx", diabetes.x_test)
    got = diabetes.problem.score("rmse", diabetes.y_test, outputs, diabetes.target)
    assert got == pytest.approx(t.test_score, rel=1e-5)


def test_small_data_is_scored_by_five_folds_and_show_prints_the_spread(diabetes_search, capsys):
    search, root = diabetes_search
    assert search.info.config["folds"] == 5  # 353 training + validation rows: under 1,000
    for t in search.trials:
        assert t.attrs["folds"] == 5 and len(t.attrs["rmse_folds"]) == 5
        assert t.score == pytest.approx(np.mean(t.attrs["rmse_folds"]))
    table = _cli(capsys, "show", search.name, "--storage", f"sqlite:///{root}/autonn.db")
    assert "mean±sd over 5 folds" in table
    assert f"{search.pareto[0].score:.4f}±{search.pareto[0].attrs['rmse_std']:.3f}" in table


def test_show_names_rmse_in_the_table_and_the_json(diabetes_search, capsys):
    search, root = diabetes_search
    storage = f"sqlite:///{root}/autonn.db"
    table = _cli(capsys, "show", search.name, "--storage", storage, "--all")
    assert "rmse" in table.splitlines()[2] and "test_rmse" in table
    shown = _cli(capsys, "show", search.name, "--storage", storage, "--all", "--json")
    rows = json.loads(shown)
    assert len(rows) == 3 and all("rmse" in r and "test_rmse" in r for r in rows)
    assert "accuracy" not in table.lower() and "accuracy" not in shown.lower()


def test_export_and_predict_in_the_targets_units(diabetes_search, diabetes, capsys):
    search, root = diabetes_search
    storage = f"sqlite:///{root}/autonn.db"
    bound = max(t.score for t in search.pareto)  # every front trial meets it, whichever won
    out = root / "export"
    printed = _cli(capsys, "export", search.name, "--storage", storage, "--out", str(out),
                   "--pick", f"rmse<={bound + 0.01:.2f}")  # fmt: skip
    assert "verified: test rmse" in printed
    card = json.loads((out / "model_card.json").read_text())
    exported = search.trial(card["trial"]["number"])
    assert card["task"] == "regression" and card["metrics"]["val_rmse"] == exported.score
    assert card["verification"]["test_rmse"] == pytest.approx(exported.test_score, rel=0.005)
    markdown = (out / "MODEL_CARD.md").read_text()
    assert "test rmse" in markdown and "mean ± sd over 5 folds" in markdown
    for text in (markdown, (out / "model_card.json").read_text(), printed):
        assert "accuracy" not in text.lower()

    raw = diabetes.x_test * diabetes.std + diabetes.mean
    np.savez(root / "inputs.npz", x=raw)
    lines = _cli(capsys, "predict", str(out), str(root / "inputs.npz")).split()
    assert lines[0] == "prediction" and len(lines) == len(raw) + 1
    predicted = np.array(lines[1:], dtype=float)
    rmse = float(np.sqrt(np.mean((predicted - diabetes.y_test) ** 2)))
    assert rmse == pytest.approx(exported.test_score, rel=0.005)
    np.testing.assert_allclose(autonn.load(out).predict(raw), predicted, rtol=1e-4)

    namespace: dict = {}  # the card's plain-onnxruntime recipe, as a user copies it
    exec(card["usage"], namespace)
    np.testing.assert_allclose(namespace["predict"](raw), predicted, rtol=1e-4)

    # the package's own predict.py, with numpy and onnxruntime only
    script = subprocess.run(
        [sys.executable, str(out / "predict.py"), str(root / "inputs.npz")],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert script[0] == "prediction"
    np.testing.assert_allclose(np.array(script[1:], dtype=float), predicted, rtol=1e-4)
