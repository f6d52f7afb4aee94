"""Loading data (built-in, .npz, .csv), checking it, and splitting it deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autonn.data._arrays import (
    content_hash,
    count_nonfinite,
    fit_standardization,
    standardize_inplace,
    take_splits,
)
from autonn.data._dataset import Dataset
from autonn.data._inputs import check_fits
from autonn.data._npz import read_npz
from autonn.data._tabular import TabularSpec, read_table, usage_errors
from autonn.errors import UsageError
from autonn.task import TargetScaling, encode, get_task, is_text, looks_continuous

BUILTIN_DATASETS = ("digits", "breast_cancer", "wine", "diabetes")
# Files of rows and named columns, read with pandas: text categories and blanks allowed.
TABLES = (".csv", ".parquet")
# Built-in data whose label is a quantity, not a class.
REGRESSION_DATASETS = ("diabetes",)
# A stratified train/validation/test split needs a few samples of every class.
MIN_PER_CLASS = 5
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2


def load_dataset(
    spec: str, *, seed: int = 0, label: str = "label", task: str = "classification"
) -> Dataset:
    """Load, check and split `spec`: a built-in name, a .npz (x, y[, x_test, y_test]), or a .csv
    or .parquet of rows with a `label` column (text categories and blanks allowed).

    task: "classification" (labels become classes) or "regression" (a numeric target).
    """
    get_task(task)  # a bad name fails before any data is read
    if spec in REGRESSION_DATASETS and task != "regression":
        raise UsageError(f"{spec} has a numeric target, not classes; add --task regression")
    x, y, x_test, y_test, classes = _read(spec, label)
    if task == "regression":
        x, y, x_test, y_test = _check_regression(spec, x, y, x_test, y_test)
        return _split_regression(spec, x, y, x_test, y_test, seed)
    x, y, x_test, y_test, classes = _check(spec, x, y, x_test, y_test, classes)
    return _split(spec, x, y, x_test, y_test, classes, seed)


def _read(spec: str, label: str):
    if spec in BUILTIN_DATASETS:
        return _builtin(spec)
    path = Path(spec).expanduser()
    if path.suffix == ".npz":
        return _read_npz(path)
    if path.suffix in TABLES:
        return _read_table(path, label)
    raise UsageError(
        f"unknown data {spec!r}: give a built-in name ({', '.join(BUILTIN_DATASETS)}), "
        "a .npz file with arrays x and y, or a .csv or .parquet file with a label column"
    )


def _builtin(name: str):
    from sklearn import datasets

    if name == "digits":
        bunch = datasets.load_digits()
        x = bunch.images.reshape(-1, 1, 8, 8)  # 8x8 greyscale images, one channel
        classes = tuple(str(c) for c in bunch.target_names)
    elif name in REGRESSION_DATASETS:
        bunch = getattr(datasets, f"load_{name}")()
        x, classes = bunch.data, None
    else:
        bunch = getattr(datasets, f"load_{name}")()
        x = bunch.data
        classes = tuple(str(c) for c in bunch.target_names)
    return x, bunch.target, None, None, classes


def _read_npz(path: Path):
    if not path.is_file():
        raise UsageError(f"data file {path} does not exist")
    with usage_errors():  # stored arrays are mapped from the file, not read (see _npz)
        arrays = read_npz(path)
    missing = {"x", "y"} - set(arrays)
    if missing:
        raise UsageError(f"{path} has arrays {sorted(arrays)}; it needs 'x' and 'y'")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise UsageError(f"{path}: give both 'x_test' and 'y_test', or neither")
    # The splits are float32 copies of the samples: the one full-size copy loading makes.
    samples = sum(arrays[k].size for k in ("x", "x_test") if k in arrays)
    with usage_errors():
        check_fits(path, samples * 4, "its samples as float32 splits")
    return arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test"), None


def _read_table(path: Path, label: str):
    """A .csv or .parquet: the feature columns stay a DataFrame of raw rows (text, blanks and
    all); the preprocessing that turns them into numbers is fitted on the training split only."""
    if not path.is_file():
        raise UsageError(f"data file {path} does not exist")
    frame = read_table(path)
    if label not in frame.columns:
        raise UsageError(
            f"{path} has no label column {label!r} "
            f"(columns: {', '.join(map(str, frame.columns))}); "
            "name it with --label"
        )
    if frame[label].isna().any():
        raise UsageError(
            f"{path}: {int(frame[label].isna().sum())} rows have a blank label; drop or fill them"
        )
    features = frame.drop(columns=[label])
    features.columns = [str(c) for c in features.columns]
    if features.shape[1] == 0:
        raise UsageError(f"{path} has no feature columns besides the label {label!r}")
    y = frame[label].to_numpy()
    if y.dtype == object:  # class names as text; _check numbers them in sorted order
        y = y.astype(str)
    return features.reset_index(drop=True), y, None, None, None


def _check(spec, x, y, x_test, y_test, classes):
    x = _as_inputs(spec, "x", x)
    y = _as_labels(spec, "y", y, len(x))
    if x_test is not None:
        x_test = _as_inputs(spec, "x_test", x_test)
        y_test = _as_labels(spec, "y_test", y_test, len(x_test))
        if x_test.shape[1:] != x.shape[1:]:
            raise UsageError(
                f"{spec}: x_test samples are shaped {x_test.shape[1:]}, x samples {x.shape[1:]}"
            )
    values, counts = np.unique(y, return_counts=True)
    if len(values) < 2:
        raise UsageError(f"{spec}: the labels hold one class only ({values[0]}); need at least two")
    if counts.min() < MIN_PER_CLASS:
        few = {v: int(c) for v, c in zip(values.tolist(), counts, strict=True) if c < MIN_PER_CLASS}
        raise UsageError(
            f"{spec}: every class needs at least {MIN_PER_CLASS} samples for a stratified "
            f"train/validation/test split; too few in (class: count) {few}"
        )
    if classes is None:
        classes = tuple(str(v) for v in values)
    if y_test is not None:  # labels become 0..K-1 in sorted order
        unknown = sorted(set(np.unique(y_test).tolist()) - set(values.tolist()))
        if unknown:
            raise UsageError(f"{spec}: y_test has classes not in y: {unknown}")
        y_test = encode(y_test, values)
    return x, encode(y, values), x_test, y_test, tuple(classes)


def _as_inputs(spec: str, name: str, x) -> np.ndarray:
    if _is_frame(x):  # raw rows: checked and encoded once the training split is known
        if len(x) == 0:
            raise UsageError(f"{spec}: {name} holds no rows")
        return x
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise UsageError(f"{spec}: {name} must be a real numeric array, but has dtype {x.dtype}")
    if x.ndim < 2:
        raise UsageError(
            f"{spec}: {name} must be shaped (samples, features...) with at least 2 dims, but is "
            f"shaped {x.shape}"
        )
    bad = count_nonfinite(x)  # a block at a time: x may be mapped, and larger than memory
    if bad:
        raise UsageError(f"{spec}: {name} holds {bad} NaN or infinite values; clean or impute them")
    return x  # made float32 when split (take_splits): no full-size copy here


def _as_labels(spec: str, name: str, y, n: int) -> np.ndarray:
    y = _one_per_sample(spec, name, y, n)
    if is_text(y):
        return y.astype(str)  # class names; predictions come back as these names
    if looks_continuous(y):
        raise UsageError(
            f"{spec}: {name} looks continuous ({len(np.unique(y))} distinct values such as "
            f"{', '.join(f'{v:g}' for v in y[:3])}), not class labels; for a numeric target "
            "add --task regression"
        )
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise UsageError(f"{spec}: {name} must hold integer class labels, but has {y[:5]}...")
        y = y.astype(np.int64)
    elif not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
        raise UsageError(f"{spec}: {name} must hold integer class labels, but has dtype {y.dtype}")
    return y.astype(np.int64)


def _one_per_sample(spec: str, name: str, y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise UsageError(
            f"{spec}: {name} must be 1-D with one label per sample ({n}), got {y.shape}"
        )
    return y


def _as_targets(spec: str, name: str, y, n: int) -> np.ndarray:
    y = _one_per_sample(spec, name, y, n)
    if is_text(y) or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise UsageError(
            f"{spec}: a regression target must be numeric, but {name} has dtype {y.dtype}; "
            "for class labels drop --task regression"
        )
    if not np.all(np.isfinite(y)):
        raise UsageError(f"{spec}: {name} holds NaN or infinite targets; clean or drop those rows")
    return y.astype(np.float32)


def _check_regression(spec, x, y, x_test, y_test):
    x = _as_inputs(spec, "x", x)
    y = _as_targets(spec, "y", y, len(x))
    if x_test is not None:
        x_test = _as_inputs(spec, "x_test", x_test)
        y_test = _as_targets(spec, "y_test", y_test, len(x_test))
    if len(np.unique(y)) < 2:
        raise UsageError(f"{spec}: the target is constant ({y[0]:g}); there is nothing to learn")
    return x, y, x_test, y_test


def _split_regression(spec, x, y, x_test, y_test, seed) -> Dataset:
    from sklearn.model_selection import train_test_split

    # Not stratified: a continuous target has no classes to balance.
    rows = np.arange(len(y))
    test = None
    if x_test is None:
        rows, test, y, y_test = train_test_split(
            rows, y, test_size=TEST_FRACTION, random_state=seed
        )
    train, val, y_train, y_val = train_test_split(
        rows, y, test_size=VAL_FRACTION, random_state=seed
    )
    labels = (y_train, y_val, y_test)
    scaling = TargetScaling.fit(y_train)
    return _standardized(
        spec, x, x_test, (train, val, test), labels, (), task="regression", target=scaling
    )


def _is_frame(x) -> bool:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def _standardized(spec, x, x_test, rows, labels, classes, **task) -> Dataset:
    """The Dataset: x's `rows` (train, val, and test unless `x_test` is given) as float32 splits,
    hashed as they are, then standardised in place with the training split's mean and std."""
    train, val, test = rows
    tabular = raw_test = None
    if _is_frame(x):  # fitted on the training rows only, then applied to every split
        frames = [x.iloc[train], x.iloc[val], x_test if test is None else x.iloc[test]]
        tabular = TabularSpec.fit(frames[0])
        raw_test = frames[2]  # its index: the rows' positions in the file
        with np.errstate(over="ignore"):  # checked below
            splits = [tabular.encode(f).astype(np.float32) for f in frames]
    elif test is None:
        splits = [*take_splits(x, [train, val]), *take_splits(x_test, [np.arange(len(x_test))])]
    else:
        splits = take_splits(x, [train, val, test])
    if any(count_nonfinite(s) for s in splits):  # float64 values past float32's range
        raise UsageError(f"{spec}: some values lie beyond float32's range (3.4e38); scale them")
    y_train, y_val, y_test = labels
    digest = content_hash([splits[0], y_train, splits[1], y_val, splits[2], y_test])
    mean, std = fit_standardization(splits[0])
    x_train, x_val, x_test = (standardize_inplace(s, mean, std) for s in splits)
    return Dataset(
        name=spec,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
        classes=tuple(classes),
        mean=mean,
        std=std,
        tabular=tabular,
        raw_test=raw_test,
        split_hash=digest,
        **task,
    )


def _split(spec, x, y, x_test, y_test, classes, seed) -> Dataset:
    """Stratified splits of row numbers, the same rows that splitting x itself would give (and
    gave before 0.3), so a stored search's splits are rebuilt exactly."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    test = None
    if x_test is None:
        rows, test, y, y_test = train_test_split(
            rows, y, test_size=TEST_FRACTION, stratify=y, random_state=seed
        )
    train, val, y_train, y_val = train_test_split(
        rows, y, test_size=VAL_FRACTION, stratify=y, random_state=seed
    )
    return _standardized(spec, x, x_test, (train, val, test), (y_train, y_val, y_test), classes)
