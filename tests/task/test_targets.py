"""Target scaling and label encoding round trips (milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest

from autonn.task import (
    TargetScaling,
    class_values,
    encode,
    get_task,
    looks_continuous,
    predictions,
)


def test_target_scaling_round_trips_and_standardises_the_training_split():
    y = np.random.default_rng(1).normal(150, 70, 300)
    scaling = TargetScaling.fit(y)
    z = scaling.apply(y)
    assert z.dtype == np.float32
    assert abs(float(z.mean())) < 1e-5 and float(z.std()) == pytest.approx(1.0, abs=1e-5)
    assert scaling.invert(z) == pytest.approx(y, rel=1e-5)


def test_a_constant_target_does_not_divide_by_zero():
    scaling = TargetScaling.fit(np.full(10, 3.0))
    assert scaling.std == 1.0 and scaling.invert(scaling.apply([3.0]))[0] == 3.0


def test_regression_targets_are_shaped_like_the_models_single_output():
    scaling = TargetScaling(mean=10.0, std=2.0)
    targets = get_task("regression").targets(np.array([10.0, 14.0]), scaling)
    assert targets.shape == (2, 1) and targets[:, 0].tolist() == [0.0, 2.0]
    outputs = np.array([[0.0], [2.0]], dtype=np.float32)
    assert predictions("regression", outputs, scaling).tolist() == [10.0, 14.0]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.array(["dog", "cat", "eel", "cat"]), ["cat", "dog", "eel"]),
        (np.array([7, 3, 3]), [3, 7]),
    ],
)
def test_labels_round_trip_through_their_indices(labels, expected):
    values = np.unique(labels)
    indices = encode(labels, values)
    back = np.asarray(class_values([str(v) for v in values]))[indices]
    assert back.tolist() == labels.tolist()
    assert class_values([str(v) for v in values]) == expected


def test_only_a_clearly_continuous_label_column_looks_continuous():
    rng = np.random.default_rng(0)
    assert looks_continuous(rng.normal(size=100))  # fractions
    assert looks_continuous(rng.integers(25, 346, 400).astype(float))  # many distinct counts
    assert not looks_continuous(rng.integers(0, 10, 400))  # digits' classes
    assert not looks_continuous(np.tile([0.0, 1.0], 50))  # integral floats, two values
    assert not looks_continuous(np.array(["a", "b"] * 20))
