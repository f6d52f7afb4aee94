"""How a model's raw outputs become predictions in the data's own terms."""

from __future__ import annotations

import numpy as np

from autonn.task._scaling import TargetScaling


def predictions(task: str, outputs: np.ndarray, scaling: TargetScaling | None) -> np.ndarray:
    """Class indices (argmax of the logits), or the target in its own units."""
    outputs = np.asarray(outputs)
    if task == "classification":
        return outputs.argmax(axis=1)
    return scaling.invert(outputs[:, 0])


def probabilities(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
