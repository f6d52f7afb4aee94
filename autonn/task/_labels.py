"""Class labels: integers or strings in, indices 0..K-1 for training, the original labels out."""

from __future__ import annotations

import re

import numpy as np

_INT = re.compile(r"^[+-]?\d+$")
# A label column with more distinct values than this share of its rows, or with fractions, is a
# measurement rather than a set of classes.
_CONTINUOUS_SHARE = 0.2
_CONTINUOUS_MIN = 20


def class_values(classes: list[str] | tuple[str, ...]) -> list[int] | list[str]:
    """Labels as the data had them: ints when every class name is an integer, else the names."""
    if classes and all(_INT.match(c) for c in classes):
        return [int(c) for c in classes]
    return list(classes)


def is_text(y: np.ndarray) -> bool:
    return y.dtype.kind in "USO"


def looks_continuous(y: np.ndarray) -> bool:
    """True for a numeric label column that is clearly a quantity, not classes."""
    y = np.asarray(y)
    if is_text(y) or y.dtype == bool or len(y) == 0:
        return False
    values = np.unique(y[np.isfinite(y)]) if y.dtype.kind == "f" else np.unique(y)
    if y.dtype.kind == "f" and not np.all(values == np.round(values)):
        return True
    return len(values) > max(_CONTINUOUS_MIN, _CONTINUOUS_SHARE * len(y))


def encode(y: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Labels -> their index in the sorted class `values`."""
    index = {v: i for i, v in enumerate(values.tolist())}
    return np.array([index[v] for v in y.tolist()], dtype=np.int64)
