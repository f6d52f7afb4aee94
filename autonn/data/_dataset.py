"""The Dataset a search trains on: standardised train/validation/test splits plus what is needed to
preprocess raw inputs the same way later (export, predict)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autonn.data._tabular import TabularSpec
from autonn.task import TargetScaling, Task, get_task


@dataclass(frozen=True, eq=False)
class Dataset:
    """Splits are float32 standardised inputs, and int64 labels in 0..n_classes-1
    (classification) or float32 targets in their own units (regression).

    `mean` and `std` broadcast against one raw sample: per feature for vectors, per channel for
    signals and images. They, and a regression's `target` scaling, are fitted on the training
    split only.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    task: str = "classification"
    target: TargetScaling | None = None  # regression only
    # .csv/.parquet rows: how raw rows become the features above (fitted on the training split),
    # and the test split's raw rows (a DataFrame), what a user would give the exported predictor.
    tabular: TabularSpec | None = None
    raw_test: Any = None

    @property
    def problem(self) -> Task:
        return get_task(self.task)

    @property
    def n_outputs(self) -> int:
        """What the model's last layer emits: one logit per class, or one value."""
        return self.problem.n_outputs(self.n_classes)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """Raw numeric samples -> model inputs; tabular rows go through `tabular.encode` first."""
        return ((np.asarray(x, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": list(self.classes),
            "train": len(self.y_train),
            "val": len(self.y_val),
            "test": len(self.y_test),
        }


def fit_standardization(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean/std per feature (vectors) or per channel (C, ...): shapes broadcast to one sample."""
    axes = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)[0]
    std = x.std(axis=axes, keepdims=True)[0]
    std = np.where(std > 1e-8, std, 1.0)  # constant features would divide by zero
    return mean.astype(np.float32), std.astype(np.float32)
