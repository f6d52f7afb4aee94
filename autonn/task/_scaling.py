"""Target scaling for regression: fitted on the training split, undone on every prediction.

Standardised targets keep the loss and the learning rate on the same scale whatever the target's
units (diabetes targets run to ~350), so one learning-rate range suits every data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TargetScaling:
    mean: float
    std: float

    @classmethod
    def fit(cls, y_train: np.ndarray) -> TargetScaling:
        y = np.asarray(y_train, dtype=np.float64)
        std = float(y.std())
        return cls(mean=float(y.mean()), std=std if std > 1e-12 else 1.0)

    def apply(self, y: np.ndarray) -> np.ndarray:
        """Targets in their own units -> the standardised values the model learns."""
        return ((np.asarray(y, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def invert(self, z: np.ndarray) -> np.ndarray:
        """Model outputs -> predictions in the target's own units."""
        return np.asarray(z, dtype=np.float64) * self.std + self.mean

    def to_json(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}
