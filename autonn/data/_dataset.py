"""The Dataset a search trains on: standardised train/validation/test splits plus what is needed to
preprocess raw inputs the same way later (export, predict)."""

from __future__ import annotations

import dataclasses
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
    # blake2b of the splits before standardisation (content_hash): a search stores it, and export
    # refuses data whose splits hash otherwise. None for a Dataset built by hand.
    split_hash: str | None = None

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

    def for_workers(self) -> Dataset:
        """What trials need: the splits without `raw_test`, the test rows as a user gives them,
        which only export's verification on the driver reads."""
        return dataclasses.replace(self, raw_test=None)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": list(self.classes),
            "train": len(self.y_train),
            "val": len(self.y_val),
            "test": len(self.y_test),
        }
