"""k-fold scoring on small data: the folds, the trial that trains and scores on them, and how the
spread is shown. No Ray: `run_trial` is what a worker runs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

import autonn
from autonn.cli._tables import table
from autonn.data._folds import DEFAULT_FOLDS, SMALL_DATA, default_folds, fold_rows, pooled
from autonn.store import TrialRecord
from autonn.trial import run_trial


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    path = tmp_path_factory.mktemp("iris") / "iris.csv"
    load_iris(as_frame=True).frame.rename(columns={"target": "label"}).to_csv(path, index=False)
    return autonn.load_dataset(str(path), seed=0)


def test_small_data_is_scored_by_folds_and_large_data_by_one_split(iris):
    assert len(iris.y_train) + len(iris.y_val) < SMALL_DATA
    assert default_folds(iris) == DEFAULT_FOLDS
    assert default_folds(autonn.load_dataset("digits")) == 0  # 1,437 training + validation rows


def test_folds_partition_the_training_and_validation_rows_by_class(iris):
    rows = fold_rows(iris, 5, seed=0)
    n = len(pooled(iris).y_train)
    validated = np.concatenate([va for _, va in rows])
    assert sorted(validated) == list(range(n))  # each row validated exactly once
    y = pooled(iris).y_train
    for train, val in rows:
        assert not set(train) & set(val)
        assert len(train) + len(val) == n
        assert np.bincount(y[val], minlength=3).min() >= 4  # stratified: 24 rows, 8 a class
    assert [list(v) for _, v in rows] == [list(v) for _, v in fold_rows(iris, 5, seed=0)]


def _config(**compress) -> autonn.MLP:
    return autonn.MLP(
        hidden=(16,),
        train=autonn.Training(lr=0.01, batch_size=16),
        compress=autonn.Compression(**compress),
    )


def test_a_k_fold_trial_reports_the_folds_mean_and_ships_a_model_trained_on_every_row(
    iris, tmp_path
):
    reported: list[tuple[int, float]] = []
    outcome = run_trial(
        _config(),
        iris,
        seed=0,
        max_epochs=4,
        out_dir=tmp_path,
        report=lambda epoch, score: reported.append((epoch, score)),
        folds=3,
    )
    a, v = outcome.attrs, outcome.values
    assert a["folds"] == 3 and len(a["accuracy_folds"]) == 3
    assert v["accuracy"] == pytest.approx(np.mean(a["accuracy_folds"]))
    assert a["accuracy_std"] == pytest.approx(np.std(a["accuracy_folds"]))
    # Each epoch reported once, with the folds' mean: the quantity early stopping compares.
    assert [e for e, _ in reported] == [1, 2, 3, 4]
    assert a["curve"] == [s for _, s in reported]
    assert a["best_epoch"] == max(range(4), key=lambda i: (a["curve"][i], -i)) + 1
    # The shipped artifact is the model trained on all 120 rows, measured on the test split.
    assert (tmp_path / "model.onnx").is_file()
    assert 0 <= a["test_accuracy"] <= 1 and "accuracy_seen" in a


def test_a_k_fold_trial_compresses_each_fold_as_it_compresses_the_shipped_model(iris, tmp_path):
    outcome = run_trial(
        _config(prune=0.5, finetune_epochs=1, quantize="int8-dynamic"),
        iris,
        seed=0,
        max_epochs=2,
        out_dir=tmp_path,
        folds=2,
    )
    a = outcome.attrs
    assert a["n_params"] < a["n_params_trained"]  # the shipped model was channel-pruned
    assert a["accuracy_channel_pruned"] is not None
    assert len(a["curve"]) == 2 + 1  # two epochs of the folds' mean, one of fine-tuning
    assert outcome.values["accuracy"] == pytest.approx(np.mean(a["accuracy_folds"]))


def test_trials_of_one_search_are_scored_on_the_same_folds(iris, tmp_path, monkeypatch):
    from autonn.data import _folds

    seeds: list[int] = []
    real = _folds.fold_rows
    monkeypatch.setattr(
        _folds, "fold_rows", lambda data, k, seed: seeds.append(seed) or real(data, k, seed)
    )
    for trial_seed in (3, 4):  # two trials of a search seeded 7, as the trainable runs them
        out = tmp_path / str(trial_seed)
        run_trial(_config(), iris, seed=trial_seed, max_epochs=1, out_dir=out, folds=2, fold_seed=7)
    run_trial(_config(), iris, seed=5, max_epochs=1, out_dir=tmp_path / "5", folds=2)
    assert seeds == [7, 7, 5]  # without a search's seed, the trial's own


def test_one_split_trials_keep_their_old_record(iris, tmp_path):
    outcome = run_trial(_config(), iris, seed=0, max_epochs=2, out_dir=tmp_path)
    assert "folds" not in outcome.attrs and "accuracy_std" not in outcome.attrs


def test_show_prints_the_spread_beside_the_mean():
    trial = TrialRecord(
        number=3,
        state="COMPLETE",
        values={"accuracy": 0.9083, "size_bytes": 5535.0},
        params={"depth": 1},
        attrs={"accuracy_std": 0.0486, "test_accuracy": 0.9333},
    )
    assert "0.9083±0.049" in table([trial], "accuracy")


def test_folds_must_be_zero_or_at_least_two():
    with pytest.raises(autonn.errors.ConfigError, match="folds"):
        autonn.SearchConfig(space="mlp", data="wine", folds=1)
    assert autonn.SearchConfig(space="mlp", data="wine", folds=0).folds == 0
