"""Metrics and their directions, checked against scikit-learn's scorers (milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from autonn.store import OBJECTIVES
from autonn.task import METRICS, TASKS, get_metric, get_task

RNG = np.random.default_rng(0)
Y_CLASS = RNG.integers(0, 4, 200)
P_CLASS = np.where(RNG.random(200) < 0.7, Y_CLASS, RNG.integers(0, 4, 200))
Y_REG = RNG.normal(150, 70, 200)
P_REG = Y_REG + RNG.normal(5, 30, 200)

SKLEARN = {
    "accuracy": (skm.accuracy_score, Y_CLASS, P_CLASS),
    "balanced_accuracy": (skm.balanced_accuracy_score, Y_CLASS, P_CLASS),
    "f1_macro": (lambda y, p: skm.f1_score(y, p, average="macro"), Y_CLASS, P_CLASS),
    "rmse": (lambda y, p: np.sqrt(skm.mean_squared_error(y, p)), Y_REG, P_REG),
    "mae": (skm.mean_absolute_error, Y_REG, P_REG),
    "r2": (skm.r2_score, Y_REG, P_REG),
}
# sklearn.metrics.get_scorer(...)._sign: +1 when greater is better
DIRECTIONS = {
    "accuracy": "maximize",
    "balanced_accuracy": "maximize",
    "f1_macro": "maximize",
    "rmse": "minimize",
    "mae": "minimize",
    "r2": "maximize",
}


@pytest.mark.parametrize("name", list(SKLEARN))
def test_each_metric_matches_scikit_learn(name):
    fn, y, p = SKLEARN[name]
    assert get_metric(name)(y, p) == pytest.approx(fn(y, p), rel=1e-9)


@pytest.mark.parametrize("name", list(DIRECTIONS))
def test_each_metric_has_its_direction_everywhere(name):
    m = get_metric(name)
    assert m.direction == DIRECTIONS[name] == OBJECTIVES[name]
    assert m.better(1.0, 2.0) is (m.direction == "minimize")
    assert m.signed(3.0) == (3.0 if m.greater_is_better else -3.0)


def test_string_labels_score_like_their_indices():
    names = np.array(["cat", "dog", "eel", "fox"])
    for name in ("accuracy", "balanced_accuracy", "f1_macro"):
        m = get_metric(name)
        assert m(names[Y_CLASS], names[P_CLASS]) == pytest.approx(m(Y_CLASS, P_CLASS))


def test_each_task_lists_its_own_metrics_default_first():
    assert get_task("classification").metrics == ("accuracy", "balanced_accuracy", "f1_macro")
    assert get_task("regression").metrics == ("rmse", "mae", "r2")
    assert {m for t in TASKS.values() for m in t.metrics} == set(METRICS)
    assert get_task(None).name == "classification"  # a search stored before tasks existed


def test_a_metric_of_the_other_task_or_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="regression search must be one of"):
        get_task("regression").metric("accuracy")
    with pytest.raises(ValueError, match="`task` must be one of"):
        get_task("ranking")
    with pytest.raises(ValueError, match="`metric` must be one of"):
        get_metric("auc")


def test_tolerance_is_absolute_for_fractions_and_relative_for_errors_in_units():
    assert get_metric("accuracy").tolerance(0.9) == 0.005
    assert get_metric("r2").tolerance(0.4) == 0.005
    assert get_metric("rmse").tolerance(50.0) == pytest.approx(0.25)
    assert get_metric("mae").tolerance(2.0) == pytest.approx(0.01)


def test_regression_scores_raw_outputs_in_the_targets_units():
    from autonn.task import TargetScaling

    scaling = TargetScaling.fit(Y_REG)
    outputs = scaling.apply(P_REG).reshape(-1, 1)  # what a model emits
    got = get_task("regression").score("rmse", Y_REG, outputs, scaling)
    assert got == pytest.approx(SKLEARN["rmse"][0](Y_REG, P_REG), rel=1e-5)
