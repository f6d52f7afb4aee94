"""Quality metrics with their directions, as scikit-learn's scorers (`greater_is_better`).

Each takes the true values and the predictions in the data's own terms (class labels, or the
target in its own units), so the same numbers come out during the search, at export and for a
user who scores the package's predictions. numpy only: the predictor side must not need more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(y == p))


def _recalls(y: np.ndarray, p: np.ndarray) -> list[float]:
    return [float(np.mean(p[y == c] == c)) for c in np.unique(y)]


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(_recalls(y, p)))


def _f1_macro(y: np.ndarray, p: np.ndarray) -> float:
    # Over the classes seen in either array, as scikit-learn does; a class never predicted and
    # never present cannot occur, and 0/0 precision counts as 0 (sklearn's zero_division=0).
    scores = []
    for c in np.union1d(y, p):
        tp = float(np.sum((p == c) & (y == c)))
        denom = float(np.sum(p == c) + np.sum(y == c))
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def _rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y.astype(np.float64) - p) ** 2)))


def _mae(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(y.astype(np.float64) - p)))


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    y = y.astype(np.float64)
    total = float(np.sum((y - y.mean()) ** 2))
    residual = float(np.sum((y - p) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


@dataclass(frozen=True)
class Metric:
    """A named quality measure: which task it scores and which way is better.

    fraction: its values lie in [0, 1] (a pick bound above 1 is a mistake).
    relative_tolerance: export verification allows this share of the stored value (errors in
        the target's units have no fixed scale), else an absolute 0.005.
    """

    name: str
    task: str
    direction: str  # "maximize" or "minimize", as Optuna spells it
    fn: Callable[[np.ndarray, np.ndarray], float]
    fraction: bool = False
    relative_tolerance: bool = False

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"

    def __call__(self, y_true, y_pred) -> float:
        return self.fn(np.asarray(y_true), np.asarray(y_pred))

    def better(self, a: float, b: float) -> bool:
        return a > b if self.greater_is_better else a < b

    def signed(self, value: float) -> float:
        """The value with higher always better, for sorting and knee scores."""
        return value if self.greater_is_better else -value

    def tolerance(self, stored: float) -> float:
        """How far a re-measured value may lie from the stored one at export."""
        return max(0.005 * abs(stored), 1e-6) if self.relative_tolerance else 0.005

    def format(self, value: float | None) -> str:
        """4 decimals for a share (0.9722); 4 significant digits, trailing zeros kept so that
        figures line up, for an error in the target's units (59.20, 0.01234)."""
        if value is None:
            return "-"
        return f"{value:.4f}" if self.fraction else f"{value:#.4g}".rstrip(".")


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", "classification", "maximize", _accuracy, fraction=True),
        Metric("balanced_accuracy", "classification", "maximize", _balanced_accuracy, True),
        Metric("f1_macro", "classification", "maximize", _f1_macro, fraction=True),
        Metric("rmse", "regression", "minimize", _rmse, relative_tolerance=True),
        Metric("mae", "regression", "minimize", _mae, relative_tolerance=True),
        Metric("r2", "regression", "maximize", _r2),
    )
}


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"`metric` must be one of {tuple(METRICS)}, but got {name!r}.") from None
