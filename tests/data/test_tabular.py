"""Real tabular data: a .csv or .parquet with text categories, blanks and an all-blank column,
preprocessed by a spec fitted on the training split only. No Ray, no training."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import autonn
from autonn.data import load_dataset
from autonn.data._tabular import TabularSpec
from autonn.package._script import write_script

N = 80


def _rows(n: int = N) -> pd.DataFrame:
    """String labels, a string category column, numbers with blanks, an all-blank column."""
    rng = np.random.default_rng(0)
    i = np.arange(n)
    return pd.DataFrame(
        {
            "size": np.where(i % 7 == 0, np.nan, rng.normal(5.0, 1.0, n).round(3)),
            "colour": np.where(i % 11 == 0, None, np.array(["red", "green", "blue"])[i % 3]),
            "species": np.where(i % 2 == 0, "cat", "dog"),
            "weight": np.where(i % 5 == 0, np.nan, rng.normal(50.0, 5.0, n).round(2)),
            "notes": np.full(n, np.nan),
        }
    )


def _csv(path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)  # blanks are written as empty cells
    return str(path)


def test_a_csv_with_text_blanks_and_an_empty_column_loads(tmp_path):
    path = _csv(tmp_path / "pets.csv", _rows())
    assert ",," in (tmp_path / "pets.csv").read_text()  # the file really has blank cells
    d = load_dataset(path, label="species")
    assert d.classes == ("cat", "dog")
    kinds = {c.name: c.kind for c in d.tabular.columns}
    assert kinds == {"size": "number", "colour": "category", "weight": "number", "notes": "empty"}
    assert d.tabular.features() == ["size", "colour=blue", "colour=green", "colour=red", "weight"]
    assert d.input_shape == (5,)
    for x in (d.x_train, d.x_val, d.x_test):
        assert x.dtype == np.float32 and np.isfinite(x).all()
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-5)
    # the test split's raw rows stay raw, for verifying an export as a user would call it
    assert list(d.raw_test.columns) == ["size", "colour", "weight", "notes"]
    assert len(d.raw_test) == len(d.y_test)


def test_parquet_loads_like_the_csv(tmp_path):
    rows = _rows()
    a = load_dataset(_csv(tmp_path / "pets.csv", rows), label="species")
    rows.to_parquet(tmp_path / "pets.parquet", index=False)
    b = load_dataset(str(tmp_path / "pets.parquet"), label="species")
    assert a.tabular == b.tabular
    np.testing.assert_allclose(a.x_test, b.x_test, rtol=1e-6)


def test_preprocessing_is_fitted_on_the_training_split_only(tmp_path):
    rows = _rows()
    before = load_dataset(_csv(tmp_path / "a.csv", rows), label="species", seed=3)
    test_rows = before.raw_test.index  # positions in the file
    changed = rows.astype({"notes": object})
    changed.loc[test_rows, "colour"] = "purple"  # a category only the test split holds
    changed.loc[test_rows, "size"] = 1e6  # and numbers that would drag any mean or median
    changed.loc[test_rows, "notes"] = "only in test"
    after = load_dataset(_csv(tmp_path / "b.csv", changed), label="species", seed=3)
    np.testing.assert_array_equal(after.raw_test.index, test_rows)  # the same split
    assert (after.raw_test["size"] == 1e6).all()
    assert after.tabular == before.tabular  # medians, categories, the empty column
    assert "purple" not in after.tabular.columns[1].categories
    np.testing.assert_array_equal(after.mean, before.mean)
    np.testing.assert_array_equal(after.std, before.std)
    # the fitted median is the training rows' own (blanks filled with it leave it unchanged)
    raw_train = before.x_train * before.std + before.mean
    assert before.tabular.columns[0].median == pytest.approx(np.median(raw_train[:, 0]), rel=1e-5)


def test_unknown_categories_and_blanks_at_prediction_time():
    spec = TabularSpec.fit(_rows().drop(columns="species"))
    new = pd.DataFrame(
        {"size": [np.nan, 4.0], "colour": ["purple", ""], "weight": [None, 51.0], "notes": ["x", 2]}
    )
    x = spec.encode(new)
    medians = {c.name: c.median for c in spec.columns if c.kind == "number"}
    np.testing.assert_array_equal(x[0], [medians["size"], 0, 0, 0, medians["weight"]])
    np.testing.assert_array_equal(x[1], [4.0, 0, 0, 0, 51.0])
    # the empty column may be left out too; the label column and extra columns are ignored
    x2 = spec.encode(new.drop(columns=["notes"]).assign(species="cat", extra=1))
    np.testing.assert_array_equal(x, x2)


def test_bad_rows_name_the_column():
    spec = TabularSpec.fit(_rows().drop(columns="species"))
    with pytest.raises(autonn.UsageError, match="lack the model's columns \\['colour'\\]"):
        spec.encode(pd.DataFrame({"size": [1.0], "weight": [2.0]}))
    with pytest.raises(autonn.UsageError, match="'weight' must be numeric, but holds 'heavy'"):
        spec.encode(pd.DataFrame({"size": [1.0], "colour": ["red"], "weight": ["heavy"]}))


def test_a_file_of_only_blank_features_is_refused(tmp_path):
    rows = pd.DataFrame({"a": [np.nan] * 20, "label": ["x", "y"] * 10})
    with pytest.raises(autonn.UsageError, match="every feature column is blank"):
        load_dataset(_csv(tmp_path / "blank.csv", rows))


def test_standalone_predict_py_encodes_exactly_as_autonn(tmp_path):
    spec = TabularSpec.fit(_rows().drop(columns="species"))
    write_script(tmp_path / "predict.py")
    module_spec = importlib.util.spec_from_file_location("standalone", tmp_path / "predict.py")
    standalone = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(standalone)
    rows = _rows(30)
    rows.loc[0, "colour"] = "purple"
    rows.loc[1, ["size", "colour", "weight"]] = [np.nan, "", np.nan]
    columns = spec.to_json()["columns"]  # the spec as the card holds it
    np.testing.assert_array_equal(standalone.encode(rows, columns), spec.encode(rows))


def test_a_regression_target_in_a_csv_with_categories(tmp_path):
    rows = _rows().assign(species=np.linspace(1.0, 9.0, N))  # a quantity, not classes
    d = load_dataset(_csv(tmp_path / "reg.csv", rows), label="species", task="regression")
    assert d.task == "regression" and d.input_shape == (5,) and np.isfinite(d.x_test).all()


def test_true_false_columns_are_categories_that_survive_a_csv(tmp_path):
    rows = _rows().assign(indoor=np.arange(N) % 3 == 0)
    d = load_dataset(_csv(tmp_path / "b.csv", rows), label="species")
    (indoor,) = [c for c in d.tabular.columns if c.name == "indoor"]
    assert indoor.kind == "category" and indoor.categories == ("False", "True")
    read_back = pd.read_csv(tmp_path / "b.csv", dtype={"indoor": str, "colour": str})
    np.testing.assert_array_equal(d.tabular.encode(read_back), d.tabular.encode(rows))


def test_an_id_column_is_refused_with_the_reason(tmp_path):
    rows = _rows(500).assign(customer=[f"c{i}" for i in range(500)])
    with pytest.raises(autonn.UsageError, match="'customer' has 320 distinct text values"):
        load_dataset(_csv(tmp_path / "ids.csv", rows), label="species")
