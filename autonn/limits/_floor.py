"""The floor: below it a model is useless, whatever it saves.

A model no better than the trivial predictor (the majority class; the training mean for
regression) is never worth deploying. Nor, in practice, is one that closes little of the gap
between that and the best model the search found: on digits, where 0.97 is reached, a 0.7 model
is no use to anyone. So a trial counts only if its validation metric closes at least `share`
(default FLOOR) of that gap. share 0 keeps every trial better than the trivial predictor.
"""

from __future__ import annotations

import numpy as np

from autonn.task import METRICS

FLOOR = 0.8  # the share of the gap from the trivial predictor to the best trial to close


def trivial_score(metric: str, task: str, y_train: np.ndarray, y_val: np.ndarray) -> float:
    """`metric` on the validation split of the predictor that ignores its inputs."""
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    if task == "regression":
        guess = np.full(len(y_val), float(np.mean(y_train)))
    else:
        values, counts = np.unique(y_train, return_counts=True)
        guess = np.full(len(y_val), values[np.argmax(counts)])
    return float(METRICS[metric](y_val, guess))


def floor_value(trivial: float, best: float, share: float = FLOOR) -> float:
    """The metric a trial must reach: `share` of the way from `trivial` to `best` (either
    direction: for rmse the floor is a ceiling, below the trivial predictor's error)."""
    if not 0 <= share <= 1:
        raise ValueError(f"`0 <= share <= 1` must hold, but got {share=}.")
    return trivial + share * (best - trivial)
