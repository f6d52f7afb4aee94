"""Tasks: classification and regression. Each owns its loss, label encoding or target scaling,
how outputs become predictions, and its metrics with their directions.

    task = get_task("regression")
    task.metric("rmse").direction                  # "minimize"
    task.score("rmse", y_val, outputs, scaling)    # in the target's own units

numpy only at import time: the exported model's predictor uses this package too.
"""

from autonn.task._labels import class_values, encode, is_text, looks_continuous
from autonn.task._metrics import METRICS, Metric, get_metric
from autonn.task._outputs import predictions, probabilities
from autonn.task._scaling import TargetScaling
from autonn.task._task import CLASSIFICATION, REGRESSION, TASKS, Task, get_task, task_of_metric

__all__ = [
    "CLASSIFICATION",
    "METRICS",
    "REGRESSION",
    "TASKS",
    "Metric",
    "TargetScaling",
    "Task",
    "class_values",
    "encode",
    "get_metric",
    "get_task",
    "is_text",
    "looks_continuous",
    "predictions",
    "probabilities",
    "task_of_metric",
]
