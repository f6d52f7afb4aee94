"""Tiny trained models for pruning tests: an MLP, a 2-D CNN and a 2-D DSCNN on digits, a 1-D CNN and
a 1-D DSCNN on signals. The DSCNNs have depthwise convs, an expansion and residual adds."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from autonn.data import load_dataset
from autonn.space import CNN, DSCNN, MLP, Training
from autonn.train import seed_everything, train


@dataclass
class Case:
    model: nn.Module  # trained, eval mode; a fresh copy per test, since pruning works in place
    x: torch.Tensor  # held-out inputs
    y: np.ndarray
    n_classes: int
    x_train: np.ndarray
    y_train: np.ndarray


def signals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """3-channel signals of length 32 whose class (0..3) is the frequency of a sine in channel 0."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    t = np.linspace(0, 2 * np.pi, 32, dtype=np.float32)
    x = rng.normal(0, 0.3, (n, 3, 32)).astype(np.float32)
    x[:, 0] += np.sin((y[:, None] + 1) * t[None, :])
    return x, y.astype(np.int64)


def _fit(config, x, y, x_test, y_test, n_classes: int) -> Case:
    seed_everything(0)
    model = config.build(x.shape[1:], n_classes)
    train(model, Training(lr=3e-3), x, y, x_test, y_test, epochs=3, seed=0)
    return Case(model.eval(), torch.from_numpy(x_test), y_test, n_classes, x, y)


@pytest.fixture(scope="session")
def _cases() -> dict[str, Case]:
    digits = load_dataset("digits", seed=0)
    d = (digits.x_train, digits.y_train, digits.x_test, digits.y_test, 10)
    s = (*signals(320, seed=0), *signals(128, seed=1), 4)
    return {
        "mlp": _fit(MLP(hidden=(32, 16)), *d),
        "cnn2d": _fit(CNN(channels=(8, 16), head_width=16), *d),
        "cnn1d": _fit(CNN(channels=(8, 16), head_width=16), *s),
        "dscnn2d": _fit(DSCNN(width=0.5, depth=3, expansion=2), *d),
        "dscnn1d": _fit(DSCNN(width=0.5, depth=3, expansion=1, kernel_size=5), *s),
    }


@pytest.fixture(params=["mlp", "cnn2d", "cnn1d", "dscnn2d", "dscnn1d"])
def case(request, _cases) -> Case:
    return copy.deepcopy(_cases[request.param])
