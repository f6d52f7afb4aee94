"""Loading data (built-in, .npz, .csv), checking it, and splitting it deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autonn.data._dataset import Dataset, fit_standardization
from autonn.errors import UsageError

BUILTIN_DATASETS = ("digits", "breast_cancer", "wine")
# A stratified train/validation/test split needs a few samples of every class.
MIN_PER_CLASS = 5
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2


def load_dataset(spec: str, *, seed: int = 0, label: str = "label") -> Dataset:
    """Load, check and split `spec`: a built-in name, a .npz (x, y[, x_test, y_test]) or a .csv."""
    x, y, x_test, y_test, classes = _read(spec, label)
    x, y, x_test, y_test, classes = _check(spec, x, y, x_test, y_test, classes)
    return _split(spec, x, y, x_test, y_test, classes, seed)


def _read(spec: str, label: str):
    if spec in BUILTIN_DATASETS:
        return _builtin(spec)
    path = Path(spec).expanduser()
    if path.suffix == ".npz":
        return _read_npz(path)
    if path.suffix == ".csv":
        return _read_csv(path, label)
    raise UsageError(
        f"unknown data {spec!r}: give a built-in name ({', '.join(BUILTIN_DATASETS)}), "
        "a .npz file with arrays x and y, or a .csv file with a label column"
    )


def _builtin(name: str):
    from sklearn import datasets

    if name == "digits":
        bunch = datasets.load_digits()
        x = bunch.images.reshape(-1, 1, 8, 8)  # 8x8 greyscale images, one channel
        classes = tuple(str(c) for c in bunch.target_names)
    else:
        bunch = getattr(datasets, f"load_{name}")()
        x = bunch.data
        classes = tuple(str(c) for c in bunch.target_names)
    return x, bunch.target, None, None, classes


def _read_npz(path: Path):
    if not path.is_file():
        raise UsageError(f"data file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot read {path} as .npz: {exc}") from exc
    missing = {"x", "y"} - set(arrays)
    if missing:
        raise UsageError(f"{path} has arrays {sorted(arrays)}; it needs 'x' and 'y'")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise UsageError(f"{path}: give both 'x_test' and 'y_test', or neither")
    return arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test"), None


def _read_csv(path: Path, label: str):
    import pandas as pd

    if not path.is_file():
        raise UsageError(f"data file {path} does not exist")
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot read {path} as CSV: {exc}") from exc
    if label not in frame.columns:
        raise UsageError(
            f"{path} has no label column {label!r} "
            f"(columns: {', '.join(map(str, frame.columns))}); "
            "name it with --label"
        )
    features = frame.drop(columns=[label])
    text = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if text:
        raise UsageError(f"{path}: feature columns must be numeric, but these are not: {text}")
    y = frame[label].to_numpy()
    if y.dtype == object:  # class names as text: number them in sorted order
        names, y = np.unique(y.astype(str), return_inverse=True)
        return features.to_numpy(np.float64), y, None, None, tuple(names)
    return features.to_numpy(np.float64), y, None, None, None


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
        few = {int(v): int(c) for v, c in zip(values, counts, strict=True) if c < MIN_PER_CLASS}
        raise UsageError(
            f"{spec}: every class needs at least {MIN_PER_CLASS} samples for a stratified "
            f"train/validation/test split; too few in (class: count) {few}"
        )
    if classes is None:
        classes = tuple(str(v) for v in values)
    index = {v: i for i, v in enumerate(values)}  # labels become 0..K-1 in sorted order
    if y_test is not None:
        unknown = sorted(set(np.unique(y_test)) - set(values))
        if unknown:
            raise UsageError(f"{spec}: y_test has classes not in y: {unknown}")
        y_test = np.array([index[v] for v in y_test], dtype=np.int64)
    y = np.array([index[v] for v in y], dtype=np.int64)
    return x, y, x_test, y_test, tuple(classes)


def _as_inputs(spec: str, name: str, x) -> np.ndarray:
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise UsageError(f"{spec}: {name} must be a real numeric array, but has dtype {x.dtype}")
    if x.ndim < 2:
        raise UsageError(
            f"{spec}: {name} must be shaped (samples, features...) with at least 2 dims, but is "
            f"shaped {x.shape}"
        )
    bad = int((~np.isfinite(x)).sum())
    if bad:
        raise UsageError(f"{spec}: {name} holds {bad} NaN or infinite values; clean or impute them")
    return x.astype(np.float32)


def _as_labels(spec: str, name: str, y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise UsageError(
            f"{spec}: {name} must be 1-D with one label per sample ({n}), got {y.shape}"
        )
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise UsageError(f"{spec}: {name} must hold integer class labels, but has {y[:5]}...")
        y = y.astype(np.int64)
    elif not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
        raise UsageError(f"{spec}: {name} must hold integer class labels, but has dtype {y.dtype}")
    return y.astype(np.int64)


def _split(spec, x, y, x_test, y_test, classes, seed) -> Dataset:
    from sklearn.model_selection import train_test_split

    if x_test is None:
        x, x_test, y, y_test = train_test_split(
            x, y, test_size=TEST_FRACTION, stratify=y, random_state=seed
        )
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=VAL_FRACTION, stratify=y, random_state=seed
    )
    mean, std = fit_standardization(x_train)
    return Dataset(
        name=spec,
        x_train=((x_train - mean) / std).astype(np.float32),
        y_train=y_train,
        x_val=((x_val - mean) / std).astype(np.float32),
        y_val=y_val,
        x_test=((x_test - mean) / std).astype(np.float32),
        y_test=y_test,
        classes=classes,
        mean=mean,
        std=std,
    )
