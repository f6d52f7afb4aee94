"""A task (classification or regression), as AutoGluon's `problem_type`: the one object the rest
of autonn asks for the loss, the targets, the predictions and the metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autonn.task import _loss, _outputs
from autonn.task._metrics import METRICS, Metric
from autonn.task._scaling import TargetScaling


@dataclass(frozen=True)
class Task:
    name: str
    metrics: tuple[str, ...]  # the first is the default

    @property
    def default_metric(self) -> str:
        return self.metrics[0]

    def metric(self, name: str | None = None) -> Metric:
        """The named metric (default: the task's), checked to belong to this task."""
        name = name or self.default_metric
        if name not in self.metrics:
            raise ValueError(
                f"`metric` of a {self.name} search must be one of {self.metrics}, but got {name!r}."
            )
        return METRICS[name]

    def n_outputs(self, n_classes: int) -> int:
        return n_classes if self.name == "classification" else 1

    def loss(self, *, label_smoothing: float = 0.0):
        return _loss.loss_function(self.name, label_smoothing)

    def targets(self, y: np.ndarray, scaling: TargetScaling | None) -> np.ndarray:
        return _loss.training_targets(self.name, y, scaling)

    def predictions(self, outputs: np.ndarray, scaling: TargetScaling | None) -> np.ndarray:
        return _outputs.predictions(self.name, outputs, scaling)

    def score(
        self, metric: str, y: np.ndarray, outputs: np.ndarray, scaling: TargetScaling | None
    ) -> float:
        """`metric` of the model's raw `outputs` against the split's stored labels or targets."""
        return self.metric(metric)(y, self.predictions(outputs, scaling))


CLASSIFICATION = Task("classification", ("accuracy", "balanced_accuracy", "f1_macro"))
REGRESSION = Task("regression", ("rmse", "mae", "r2"))
TASKS: dict[str, Task] = {t.name: t for t in (CLASSIFICATION, REGRESSION)}


def get_task(name: str | None) -> Task:
    """The named task; None (a search stored before tasks existed) means classification."""
    if name is None:
        return CLASSIFICATION
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"`task` must be one of {tuple(TASKS)}, but got {name!r}.") from None


def task_of_metric(metric: str) -> Task:
    return TASKS[METRICS[metric].task]
