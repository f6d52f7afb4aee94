"""Trained tiny models on digits and their fp32 ONNX exports, shared by the measure tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from torch import nn

from autonn.data import Dataset, load_dataset
from autonn.measure import export_onnx
from autonn.space import CNN, MLP, Training
from autonn.train import predict_logits, seed_everything, train


@dataclass
class Trained:
    model: nn.Module
    data: Dataset
    onnx_path: Path  # fp32 export
    test_logits: np.ndarray  # torch's logits on data.x_test, eval mode


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits", seed=0)


def _trained(config, data: Dataset, folder: Path) -> Trained:
    seed_everything(0)
    model = config.build(data.input_shape, data.n_classes)
    training = Training(lr=3e-3, batch_size=64)
    train(model, training, data.x_train, data.y_train, data.x_val, data.y_val, epochs=5, seed=0)
    path = export_onnx(model, data.input_shape, folder / "fp32.onnx")
    return Trained(model, data, path, predict_logits(model, data.x_test).numpy())


@pytest.fixture(scope="session")
def trained_cnn(digits, tmp_path_factory) -> Trained:
    config = CNN(channels=(16, 32), head_width=32)
    return _trained(config, digits, tmp_path_factory.mktemp("cnn"))


@pytest.fixture(scope="session")
def trained_mlp(digits, tmp_path_factory) -> Trained:
    return _trained(MLP(hidden=(128, 64)), digits, tmp_path_factory.mktemp("mlp"))


@pytest.fixture(params=["cnn", "mlp"])
def trained(request) -> Trained:
    return request.getfixturevalue(f"trained_{request.param}")
