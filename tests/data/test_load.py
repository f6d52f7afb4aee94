import numpy as np
import pytest

import autonn
from autonn.data import load_dataset


def test_digits_are_one_channel_images_split_three_ways():
    d = load_dataset("digits", seed=0)
    assert d.input_shape == (1, 8, 8)
    assert d.classes == tuple(str(i) for i in range(10))
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 1797
    assert set(np.unique(d.y_val)) == set(range(10))  # stratified: every class in every split
    assert abs(float(d.x_train.mean())) < 1e-4 and abs(float(d.x_train.std()) - 1) < 1e-3


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_tabular_builtins_standardise_per_feature(name):
    d = load_dataset(name)
    assert d.x_train.ndim == 2 and d.mean.shape == d.input_shape
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-4)


def test_split_is_deterministic_by_seed():
    a, b, c = (load_dataset("wine", seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)


def test_standardisation_is_fitted_on_train_only(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 2.0, size=(200, 3)).astype(np.float32)
    y = np.repeat([0, 1], 100)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    d = load_dataset(str(tmp_path / "d.npz"))
    raw_train = d.x_train * d.std + d.mean
    np.testing.assert_allclose(d.mean, raw_train.mean(axis=0), rtol=1e-4)


def test_npz_signals_with_given_test_split(tmp_path):
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(60, 2, 32)), rng.normal(size=(20, 2, 32))
    y, y_test = np.tile([3, 7], 30), np.tile([3, 7], 10)
    np.savez(tmp_path / "sig.npz", x=x, y=y, x_test=x_test, y_test=y_test)
    d = load_dataset(str(tmp_path / "sig.npz"))
    assert d.input_shape == (2, 32) and d.mean.shape == (2, 1)
    assert len(d.y_test) == 20 and d.classes == ("3", "7")
    assert set(np.unique(d.y_train)) == {0, 1}


def test_csv_with_text_labels(tmp_path):
    rows = ["a,b,species"] + [f"{i},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    (tmp_path / "d.csv").write_text("\n".join(rows))
    d = load_dataset(str(tmp_path / "d.csv"), label="species")
    assert d.classes == ("cat", "dog") and d.input_shape == (2,)


def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((20, 3)), "y": np.zeros(20)}, "one class only"),
        ({"x": np.full((20, 3), np.nan), "y": np.tile([0, 1], 10)}, "NaN or infinite"),
        ({"x": np.zeros((20, 3)), "y": np.tile([0.5, 1.0], 10)}, "--task regression"),
        ({"x": np.zeros((20, 3)), "y": np.array([0] * 17 + [1] * 3)}, "at least 5 samples"),
        ({"x": np.zeros(20), "y": np.tile([0, 1], 10)}, "at least 2 dims"),
        ({"x": np.zeros((20, 3)), "y": np.tile([0, 1], 9)}, "one label per sample"),
        ({"x": np.zeros((20, 3))}, "needs 'x' and 'y'"),
    ],
)
def test_malformed_data_names_the_problem(tmp_path, arrays, message):
    with pytest.raises(autonn.UsageError, match=message):
        load_dataset(_npz(tmp_path, **arrays))


def test_csv_without_label_column_lists_the_columns(tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    with pytest.raises(autonn.UsageError, match=r"no label column 'label' \(columns: a, b\)"):
        load_dataset(str(tmp_path / "d.csv"))


def test_unknown_data_spec():
    with pytest.raises(autonn.UsageError, match="built-in name"):
        load_dataset("mnist")


def test_diabetes_is_a_regression_target_split_without_strata_and_scaled_on_train():
    d = load_dataset("diabetes", seed=0, task="regression")
    assert d.task == "regression" and d.n_outputs == 1 and d.classes == ()
    assert d.y_train.dtype == np.float32 and d.y_train.max() > 100  # still in its own units
    assert d.target.mean == pytest.approx(float(d.y_train.mean()), rel=1e-5)
    assert d.target.std == pytest.approx(float(d.y_train.std()), rel=1e-4)
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 442


def test_a_numeric_target_without_task_regression_says_to_add_it():
    with pytest.raises(autonn.UsageError, match="add --task regression"):
        load_dataset("diabetes")


def test_text_targets_cannot_be_regressed(tmp_path):
    path = _npz(tmp_path, x=np.zeros((20, 3)), y=np.array(["a", "b"] * 10))
    with pytest.raises(autonn.UsageError, match="must be numeric"):
        load_dataset(path, task="regression")


def test_string_labels_in_an_npz_become_sorted_classes(tmp_path):
    y = np.array(["dog", "cat", "eel", "cat"] * 10)
    d = load_dataset(_npz(tmp_path, x=np.arange(120.0).reshape(40, 3), y=y))
    assert d.classes == ("cat", "dog", "eel") and d.task == "classification"
    assert set(np.unique(d.y_train)) == {0, 1, 2}


def test_a_csv_with_a_numeric_target_loads_for_regression_and_hints_otherwise(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    rows = ["a,b,price", *[f"{a:.3f},{b:.3f},{100 + 30 * a:.2f}" for a, b in x]]
    (tmp_path / "houses.csv").write_text("\n".join(rows) + "\n")
    d = load_dataset(str(tmp_path / "houses.csv"), label="price", task="regression")
    assert d.input_shape == (2,) and d.y_train.dtype == np.float32 and d.y_train.mean() > 50
    with pytest.raises(autonn.UsageError, match="looks continuous.*add --task regression"):
        load_dataset(str(tmp_path / "houses.csv"), label="price")
