"""The training loss and the targets it compares the model's outputs with (torch, lazily)."""

from __future__ import annotations

import numpy as np

from autonn.task._scaling import TargetScaling


def loss_function(task: str, label_smoothing: float = 0.0):
    from torch import nn

    # Cross-entropy on logits for classes; mean squared error on the standardised target, which
    # is what rmse (the default regression metric) measures. Smoothing has no meaning there.
    if task == "classification":
        return nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    return nn.MSELoss()


def training_targets(task: str, y: np.ndarray, scaling: TargetScaling | None) -> np.ndarray:
    """Class indices as int64, or standardised targets shaped (n, 1) like the model's output."""
    if task == "classification":
        return np.asarray(y, dtype=np.int64)
    return scaling.apply(y).reshape(-1, 1)
